#include "tests/unit/parser/case_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/parser/fixture.h"

namespace tombstone::parser::testing {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

const char* fixup_name(TagFixup f) {
  switch (f) {
    case TagFixup::kDelete:
      return "delete";
    case TagFixup::kTruncate:
      return "truncate";
    default:
      return "none";
  }
}

}  // namespace

std::string Case::option(const std::string& key, const std::string& fallback) const {
  for (const auto& [k, v] : options) {
    if (k == key) return v;
  }
  return fallback;
}

std::vector<std::string> case_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".txt") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Case> load_case_file(const std::string& path) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::string line;
  int n = 0;
  Case* cur = nullptr;
  bool in_expected = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("### ", 0) == 0) {
      cases.push_back(Case{});
      cur = &cases.back();
      cur->file = path;
      cur->line = n;
      cur->name = trim(line.substr(4));
      in_expected = false;
      continue;
    }
    if (cur == nullptr) continue;  // file header comments
    if (!in_expected && cur->input.empty() && line.rfind("@", 0) == 0) {
      auto sp = line.find(' ');
      std::string key = line.substr(1, sp == std::string::npos ? std::string::npos : sp - 1);
      std::string value = sp == std::string::npos ? "" : trim(line.substr(sp + 1));
      cur->options.emplace_back(key, value);
      continue;
    }
    if (!in_expected && line == "---") {
      in_expected = true;
      continue;
    }
    std::string& target = in_expected ? cur->expected : cur->input;
    target += line;
    target += '\n';
  }
  for (auto& c : cases) {
    // Inputs keep their inner bytes exactly; only the final newline of the block is dropped.
    while (!c.input.empty() && (c.input.back() == '\n')) c.input.pop_back();
    c.expected = trim(c.expected);
  }
  return cases;
}

std::vector<Case> load_cases(const std::string& dir) {
  std::vector<Case> all;
  for (const auto& f : case_files(dir)) {
    auto cs = load_case_file(f);
    all.insert(all.end(), cs.begin(), cs.end());
  }
  return all;
}

config::Config config_for(const Case& c) {
  config::Config config = test_config();
  if (c.option("unparsable") == "forward") config.unparsable = config::Unparsable::kForward;
  return config;
}

SessionState session_for(const Case& c) {
  std::string mode = c.option("mode", "user");
  SessionState s = mode == "user" ? user_session() : admin_session();
  if (mode == "admin-active") s.visibility = Visibility::kActive;
  if (mode == "admin-hard") s.delete_mode = DeleteMode::kHard;
  if (auto sp = c.option("search_path"); !sp.empty()) s.search_path = parse_search_path(sp);
  if (c.option("scs") == "off") s.standard_conforming_strings = false;
  if (auto u = c.option("user"); !u.empty()) s.session_user = u;
  return s;
}

Observed observe(const Case& c, const Rewrite& r) {
  Observed o;
  bool any_fixup = false;
  std::string tags, settings, prepared;
  for (const auto& st : r.statements) {
    if (!tags.empty()) tags += ",";
    tags += fixup_name(st.fixup);
    any_fixup = any_fixup || st.fixup != TagFixup::kNone;
    for (const auto& s : st.settings) {
      if (!settings.empty()) settings += ";";
      if (s.reset_all) {
        settings += "ALL=RESET";
        continue;
      }
      settings += s.name + "=" + (s.value ? *s.value : "RESET");
      if (s.local) settings += " LOCAL";
    }
    if (st.prepared_name) prepared = *st.prepared_name + " " + fixup_name(st.prepared_fixup);
  }
  if (any_fixup) o.tag = tags;
  o.settings = settings;
  o.prepared = prepared;
  for (const auto& st : r.statements) {
    if (st.error) {
      o.expected = "ERROR " + st.error->sqlstate + " " + st.error->message;
      return o;
    }
  }
  o.expected = r.changed ? trim(r.sql) : "UNCHANGED";
  (void)c;
  return o;
}

std::string format_case(const Case& c, const Observed& o) {
  std::ostringstream out;
  out << "### " << c.name << "\n";
  for (const auto& [k, v] : c.options) {
    if (k == "tag" || k == "settings" || k == "prepared") continue;
    out << "@" << k << (v.empty() ? "" : " " + v) << "\n";
  }
  if (!o.tag.empty()) out << "@tag " << o.tag << "\n";
  if (!o.settings.empty()) out << "@settings " << o.settings << "\n";
  if (!o.prepared.empty()) out << "@prepared " << o.prepared << "\n";
  out << c.input << "\n---\n" << o.expected << "\n";
  return out.str();
}

}  // namespace tombstone::parser::testing
