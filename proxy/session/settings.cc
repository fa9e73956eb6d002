#include "proxy/session/settings.h"

#include <algorithm>
#include <cctype>

namespace tombstone::session {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  // SET x = 'all' reaches us quoted from some paths; the value itself never has quotes.
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') s = s.substr(1, s.size() - 2);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_startup_options(std::string_view options) {
  // pg_split_opts: split at unescaped whitespace; a backslash makes the next character literal.
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const char c = options[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < options.size()) {
      word += options[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));

  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](std::string_view assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string_view::npos) return;
    std::string name = lower(assignment.substr(0, eq));
    std::replace(name.begin(), name.end(), '-', '_');  // postgres accepts --search-path=x
    out.emplace_back(std::move(name), std::string(assignment.substr(eq + 1)));
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view w = words[i];
    if (w == "-c" && i + 1 < words.size()) {
      add(words[++i]);
    } else if (w.starts_with("-c")) {
      add(w.substr(2));
    } else if (w.starts_with("--")) {
      add(w.substr(2));
    }
  }
  return out;
}

std::optional<parser::Visibility> parse_visibility(std::string_view value) {
  value = trim(value);
  if (iequals(value, "all")) return parser::Visibility::kAll;
  if (iequals(value, "active")) return parser::Visibility::kActive;
  return std::nullopt;
}

std::optional<parser::DeleteMode> parse_delete_mode(std::string_view value) {
  value = trim(value);
  if (iequals(value, "soft")) return parser::DeleteMode::kSoft;
  if (iequals(value, "hard")) return parser::DeleteMode::kHard;
  return std::nullopt;
}

void SettingsTracker::apply_value(TrackedSettings& values, std::string_view name,
                                  std::optional<std::string_view> value,
                                  const TrackedSettings& defaults) {
  if (iequals(name, "search_path")) {
    values.search_path = value ? parser::parse_search_path(*value) : defaults.search_path;
  } else if (iequals(name, "tombstone.visibility")) {
    // An unknown value is treated as the default: never widen visibility on a typo.
    values.visibility = value ? parse_visibility(*value) : defaults.visibility;
  } else if (iequals(name, "tombstone.delete")) {
    values.delete_mode = value ? parse_delete_mode(*value) : defaults.delete_mode;
  } else if (iequals(name, "tombstone.actor")) {
    values.actor = value ? std::optional<std::string>(std::string(trim(*value))) : defaults.actor;
  }
}

void SettingsTracker::set_startup(TrackedSettings values) {
  ++version_;
  reset_ = values;
  committed_ = values;
  persist_ = values;
  current_ = std::move(values);
  in_block_ = false;
}

void SettingsTracker::apply(const parser::SettingChange& change) {
  ++version_;
  if (change.reset_all) {
    current_ = reset_;
    if (!change.local) persist_ = reset_;
    return;
  }
  const std::optional<std::string_view> value =
      change.value ? std::optional<std::string_view>(*change.value) : std::nullopt;
  apply_value(current_, change.name, value, reset_);
  if (!change.local) apply_value(persist_, change.name, value, reset_);
}

// Both run at every transaction end (every ReadyForQuery 'I'), so they copy only on change: no
// allocation on the hot path.
void SettingsTracker::commit() {
  savepoints_.clear();
  if (committed_ != persist_) committed_ = persist_;
  if (current_ != persist_) {
    current_ = persist_;
    ++version_;
  }
  in_block_ = false;
}

void SettingsTracker::rollback() {
  savepoints_.clear();
  if (persist_ != committed_) persist_ = committed_;
  if (current_ != committed_) {
    current_ = committed_;
    ++version_;
  }
  in_block_ = false;
}

void SettingsTracker::on_command_tag(std::string_view tag) {
  if (tag == "BEGIN") {
    in_block_ = true;
  } else if (tag == "COMMIT" || tag == "PREPARE TRANSACTION") {
    commit();
  } else if (tag == "ROLLBACK") {
    // Also the tag of ROLLBACK TO SAVEPOINT and of COMMIT in a failed transaction; savepoint
    // granularity is not tracked (a SET rolled back to a savepoint is rare).
    rollback();
  } else if (tag == "DISCARD ALL") {
    set_startup(reset_);
  } else if (tag == "SAVEPOINT") {
    savepoints_.emplace_back(persist_, current_);
  } else if (tag == "RELEASE") {
    if (!savepoints_.empty()) savepoints_.pop_back();
  }
}

void SettingsTracker::rollback_to_savepoint() {
  if (savepoints_.empty()) return;
  const auto& [persist, current] = savepoints_.back();
  persist_ = persist;
  if (current_ != current) {
    current_ = current;
    ++version_;
  }
}

void SettingsTracker::on_error() {
  if (!in_block_) rollback();
}

void SettingsTracker::on_ready(char status) {
  if (status == 'I') {
    commit();
  } else {
    in_block_ = true;
  }
}

}  // namespace tombstone::session
