#include "proxy/session/catalog_cache.h"

namespace tombstone::session {

std::shared_ptr<const parser::Catalog> CatalogCache::find(const std::string& database,
                                                          const std::string& role,
                                                          std::uint64_t generation) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(Key{database, role, generation});
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<const parser::Catalog> CatalogCache::store(const std::string& database,
                                                           const std::string& role,
                                                           std::uint64_t generation,
                                                           parser::Catalog catalog, bool publish,
                                                           bool* first) {
  // catalog_from_rows() already gave the snapshot a process-unique version.
  auto shared = std::make_shared<const parser::Catalog>(std::move(catalog));
  std::lock_guard lock(mutex_);
  const Key key{database, role, generation};
  const bool had = entries_.contains(key);
  if (first != nullptr) *first = !had;
  if (publish) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->first.generation < generation ? entries_.erase(it) : std::next(it);
    }
    entries_[key] = shared;
  }
  return shared;
}

std::shared_ptr<const parser::Catalog> CatalogCache::empty() {
  return std::make_shared<const parser::Catalog>(parser::catalog_from_rows({}));
}

std::vector<config::QualifiedName> missing_tables(const config::Config& config,
                                                  const parser::Catalog& catalog) {
  std::vector<config::QualifiedName> out;
  for (const auto& t : config.tables) {
    if (catalog.find(t.table) == nullptr) out.push_back(t.table);
    if (t.strategy == config::Strategy::kArchive && catalog.find(t.archive) == nullptr) {
      out.push_back(t.archive);
    }
  }
  return out;
}

}  // namespace tombstone::session
