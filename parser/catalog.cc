#include "parser/catalog.h"

#include <algorithm>
#include <atomic>
#include <set>

namespace tombstone::parser {
namespace {

// E'' literal: correct whatever standard_conforming_strings the session has.
std::string quote_literal(const std::string& text) {
  std::string out = "E'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

}  // namespace

const Column* Relation::find_column(std::string_view column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

const Relation* Catalog::find(const config::QualifiedName& name) const {
  for (const auto& r : relations) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::vector<std::string> Catalog::schemas_with(std::string_view relname) const {
  std::vector<std::string> out;
  for (const auto& r : relations) {
    if (r.name.name == relname) out.push_back(r.name.schema);
  }
  return out;
}

std::string catalog_query(const config::Config& config) {
  std::set<std::string> names;
  for (const auto& t : config.tables) {
    names.insert(t.table.name);
    if (t.strategy == config::Strategy::kArchive) names.insert(t.archive.name);
  }
  std::string list;
  for (const auto& n : names) {
    if (!list.empty()) list += ", ";
    list += quote_literal(n);
  }
  // The session's own temp schema becomes "pg_temp" (it is what `pg_temp.x` and the implicit
  // temp-first search_path rule mean); other sessions' temp schemas are invisible to this one.
  // It runs under the client's search_path: every function, operator and type is pg_catalog's,
  // so that objects the client created cannot change the answer.
  return "SELECT CASE WHEN n.oid OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() "
         "THEN 'pg_temp' ELSE n.nspname::pg_catalog.text END AS nspname, "
         "c.relname::pg_catalog.text AS relname, c.relkind::pg_catalog.text AS relkind, "
         "a.attnum::pg_catalog.text AS attnum, a.attname::pg_catalog.text AS attname, "
         "pg_catalog.format_type(a.atttypid, a.atttypmod) AS format_type, "
         "CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
         "WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid "
         "AND i.indisprimary AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey)) "
         "THEN 't' ELSE 'f' END AS pk "
         "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
         "ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
         "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid "
         "AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped "
         "WHERE c.relkind OPERATOR(pg_catalog.=) ANY "
         "(ARRAY['r', 'v', 'm', 'p', 'f']::pg_catalog.\"char\"[]) "
         "AND c.relname::pg_catalog.text OPERATOR(pg_catalog.=) ANY (ARRAY[" +
         list +
         "]::pg_catalog.text[]) "
         "AND (n.nspname::pg_catalog.text OPERATOR(pg_catalog.!~) '^pg_(toast_)?temp_' "
         "OR n.oid OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()) "
         // The server skips search_path schemas the role may not use: so must name resolution.
         "AND (n.oid OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() "
         "OR pg_catalog.has_schema_privilege(n.oid, 'USAGE')) "
         "ORDER BY 1, 2, a.attnum";
}

Catalog catalog_from_rows(const std::vector<std::vector<std::string>>& rows) {
  // Every snapshot gets its own version so cached rewrites of an older one are never reused.
  static std::atomic<std::uint64_t> next_version{1};
  Catalog catalog;
  catalog.version = next_version.fetch_add(1);
  for (const auto& row : rows) {
    if (row.size() < 6) continue;
    config::QualifiedName name{row[0], row[1]};
    if (catalog.relations.empty() || !(catalog.relations.back().name == name)) {
      Relation rel;
      rel.name = name;
      rel.relkind = row[2].empty() ? 'r' : row[2][0];
      catalog.relations.push_back(std::move(rel));
    }
    if (row[4].empty()) continue;  // relation without columns
    Column col{row[4], row[5], row.size() > 6 && (row[6] == "t" || row[6] == "true")};
    catalog.relations.back().columns.push_back(std::move(col));
  }
  return catalog;
}

}  // namespace tombstone::parser
