// A snapshot of the relations the rewriter must know about: every relation (in any schema) whose
// name equals a managed or archive table's name, with its columns in attnum order. The rewriter
// uses it to resolve unqualified names through search_path (a same-named view in another schema
// must shadow or be shadowed exactly as in PostgreSQL) and to expand column lists (`RETURNING *`,
// archive INSERT lists). Filled from one catalog query run by the proxy (over the wire, after
// authentication) or by the tools (libpq).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tombstone::parser {

struct Column {
  std::string name;
  std::string type;          // format_type(atttypid, atttypmod), e.g. "timestamp with time zone"
  bool primary_key = false;  // part of the relation's primary key (audit row keys)
};

struct Relation {
  // The session's own temporary schema is reported as "pg_temp" (so `pg_temp.x` and the implicit
  // temp-first search rule resolve); other sessions' temp schemas are not listed.
  config::QualifiedName name;
  char relkind = 'r';           // 'r','v','m','p','f',...
  std::vector<Column> columns;  // attnum order, dropped columns excluded

  const Column* find_column(std::string_view column) const;
};

struct Catalog {
  std::vector<Relation> relations;
  std::uint64_t version = 0;  // bump when reloaded: part of RewriteCache keys

  const Relation* find(const config::QualifiedName& name) const;
  // Every schema holding a relation with this exact name, in catalog order.
  std::vector<std::string> schemas_with(std::string_view relname) const;
};

// ONE SELECT (no parameters) returning text columns
//   (nspname, relname, relkind, attnum, attname, format_type, is_primary_key 't'/'f')
// for every relation whose relname equals a managed or archive table name in the config, in every
// schema the session's role may use (own temp schema as "pg_temp"; the server skips search_path
// schemas without USAGE, so must resolution), ordered by nspname, relname, attnum. Run it as
// the session's role. Relations without
// columns still appear once (attnum/attname/format_type NULL -> empty strings).
std::string catalog_query(const config::Config& config);

// Builds the snapshot from the query's rows (6 or 7 text columns each; see catalog_query()).
Catalog catalog_from_rows(const std::vector<std::vector<std::string>>& rows);

}  // namespace tombstone::parser
