// Process-wide cache of catalog snapshots, one per (database, login role, config generation): the
// first session of a database and role after a (re)load runs the catalog query, the others reuse
// its answer. The role is part of the key because the catalog query lists only the schemas the
// current role has USAGE on (PostgreSQL's search_path skips the others), so two roles of one
// database may see different snapshots.
// Shared by every io thread, hence the mutex; looked up once per session (and per refresh), never
// per statement.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "parser/catalog.h"

namespace tombstone::session {

class CatalogCache {
 public:
  std::shared_ptr<const parser::Catalog> find(const std::string& database, const std::string& role,
                                              std::uint64_t generation) const;

  // Stores `catalog` (its version, from catalog_from_rows, is process-unique) when
  // `publish` (a snapshot taken inside an uncommitted transaction must stay private to its
  // session) and returns it. Entries of older generations are dropped. `first` is set when this
  // (database, role, generation) had no entry yet, so that problems are logged once per reload.
  std::shared_ptr<const parser::Catalog> store(const std::string& database, const std::string& role,
                                               std::uint64_t generation, parser::Catalog catalog,
                                               bool publish, bool* first = nullptr);

  // An empty catalog with its own version, for sessions whose catalog query failed.
  std::shared_ptr<const parser::Catalog> empty();

 private:
  mutable std::mutex mutex_;
  struct Key {
    std::string database;
    std::string role;
    std::uint64_t generation = 0;
    auto operator<=>(const Key&) const = default;
  };
  std::map<Key, std::shared_ptr<const parser::Catalog>> entries_;
};

// Configured tables (and archive tables) of `config` that `catalog` lacks.
std::vector<config::QualifiedName> missing_tables(const config::Config& config,
                                                  const parser::Catalog& catalog);

}  // namespace tombstone::session
