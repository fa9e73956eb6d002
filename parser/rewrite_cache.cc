#include <cstring>

#include "parser/rewriter.h"

namespace tombstone::parser {
namespace {

template <typename T>
void append_raw(std::string& key, const T& value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  key.append(bytes, sizeof(T));
}

}  // namespace

RewriteCache::RewriteCache(std::size_t max_entries)
    : max_entries_(max_entries == 0 ? 1 : max_entries) {}

const Rewrite& RewriteCache::get(std::string_view sql, const config::Config& config,
                                 const Catalog& catalog, const SessionState& session) {
  if (!may_need_rewrite(sql, config)) {
    passthrough_.sql.assign(sql.substr(0, sql.find('\0')));
    return passthrough_;
  }
  // Everything rewrite() reads, besides the text, is part of the key.
  std::string& key = scratch_key_;
  key.assign(sql);
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
  if (auto it = map_.find(std::string_view(key)); it != map_.end()) {
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->value;
  }
  ++misses_;
  lru_.push_front(Entry{key, rewrite(sql, config, catalog, session)});
  map_.emplace(std::string_view(lru_.front().key), lru_.begin());
  while (map_.size() > max_entries_) {
    map_.erase(std::string_view(lru_.back().key));
    lru_.pop_back();
  }
  return lru_.front().value;
}

}  // namespace tombstone::parser
