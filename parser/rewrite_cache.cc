#include <cstring>

#include "parser/literal_template.h"
#include "parser/pg_tree.h"
#include "parser/rewriter.h"

namespace tombstone::parser {
namespace {

template <typename T>
void append_raw(std::string& key, const T& value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  key.append(bytes, sizeof(T));
}

// Everything rewrite() reads besides the text: appended to the text (or shape) to make a key.
void append_session(std::string& key, const config::Config& config, const Catalog& catalog,
                    const SessionState& session) {
  key += '\0';
  key +=
      static_cast<char>((session.admin ? 1 : 0) | (session.visibility == Visibility::kAll ? 2 : 0) |
                        (session.delete_mode == DeleteMode::kHard ? 4 : 0) |
                        (session.standard_conforming_strings ? 8 : 0));
  append_raw(key, config.generation);
  append_raw(key, catalog.version);
  append_raw(key, &config);
  append_raw(key, &catalog);
  key += session.session_user;
  for (const auto& entry : session.search_path) {
    key += '\0';
    key += entry;
  }
  key += '\1';  // RESET inside the string returns to the default path
  for (const auto& entry : session.default_search_path) {
    key += '\0';
    key += entry;
  }
}

}  // namespace

template <typename V>
V* RewriteCache::Lru<V>::find(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  list_.splice(list_.begin(), list_, it->second);
  return &it->second->value;
}

template <typename V>
V& RewriteCache::Lru<V>::insert(std::string key, V value, std::size_t max_entries) {
  list_.push_front(Entry{std::move(key), std::move(value)});
  // A key already present (a template being replaced) points at the new entry.
  if (auto it = map_.find(std::string_view(list_.front().key)); it != map_.end()) {
    list_.erase(it->second);
    map_.erase(it);
  }
  map_.emplace(std::string_view(list_.front().key), list_.begin());
  while (map_.size() > max_entries) {
    map_.erase(std::string_view(list_.back().key));
    list_.pop_back();
  }
  return list_.front().value;
}

RewriteCache::RewriteCache(std::size_t max_entries)
    : max_entries_(max_entries == 0 ? 1 : max_entries) {}

RewriteCache::~RewriteCache() = default;

const Rewrite& RewriteCache::get(std::string_view sql, const config::Config& config,
                                 const Catalog& catalog, const SessionState& session) {
  sql = sql.substr(0, sql.find('\0'));  // the server reads up to the first NUL, so does rewrite()
  if (!may_need_rewrite(sql, config)) {
    passthrough_.sql.assign(sql);
    return passthrough_;
  }
  std::string& key = scratch_key_;
  key.assign(sql);
  append_session(key, config, catalog, session);
  if (Rewrite* hit = exact_.find(key)) {
    ++hits_;
    return *hit;
  }
  auto shape = literal_shape(sql, session.standard_conforming_strings);
  if (!shape) {
    ++misses_;
    return exact_.insert(key, rewrite(sql, config, catalog, session), max_entries_);
  }
  std::string exact_key = key;
  key.assign(shape->text);
  append_session(key, config, catalog, session);
  if (auto* t = templates_.find(key)) {
    if ((*t)->usable) {
      ++hits_;
      ++template_hits_;
      fill_template(**t, sql, *shape, templated_);
      return templated_;
    }
    ++misses_;
    return exact_.insert(std::move(exact_key), rewrite(sql, config, catalog, session),
                         max_entries_);
  }
  // The first statement of this shape: rewritten as sent and with sentinels (the template).
  ++misses_;
  Rewrite as_sent = rewrite(sql, config, catalog, session);
  const std::string sentinel_sql = with_sentinels(sql, shape->literals);
  const Rewrite sentinel = rewrite(sentinel_sql, config, catalog, session);
  // Both must really parse: a statement forwarded unparsed (unparsable: forward) says nothing
  // about the statements of its shape that do parse.
  auto made = std::make_unique<LiteralTemplate>();
  if (parse_sql(sql) && parse_sql(sentinel_sql)) {
    *made = make_template(sql, *shape, as_sent, sentinel);
  }
  templates_.insert(key, std::move(made), max_entries_);
  return exact_.insert(std::move(exact_key), std::move(as_sent), max_entries_);
}

}  // namespace tombstone::parser
