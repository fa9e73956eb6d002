#include "config/config.h"

#include <algorithm>

namespace tombstone::config {
namespace {

bool needs_quotes(const std::string& part) {
  if (part.empty()) return true;
  if (!(std::islower(static_cast<unsigned char>(part[0])) || part[0] == '_')) return true;
  return !std::all_of(part.begin(), part.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
           c == '_';
  });
}

std::string quote_part(const std::string& part) {
  if (!needs_quotes(part)) return part;
  std::string out = "\"";
  for (char c : part) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string QualifiedName::to_sql() const { return quote_part(schema) + "." + quote_part(name); }

const TablePolicy* Config::find_table(const QualifiedName& name) const {
  for (const auto& t : tables) {
    if (t.table == name) return &t;
  }
  return nullptr;
}

bool Config::applies_to_database(const std::string& database) const {
  return databases.empty() ||
         std::find(databases.begin(), databases.end(), database) != databases.end();
}

}  // namespace tombstone::config
