#include "parser/settings.h"

#include "parser/rewriter.h"

namespace tombstone::parser {
namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// quote_identifier() without the keyword list: quoting more than needed is harmless here.
std::string quote_ident(const std::string& s) {
  bool plain = !s.empty() && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_');
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$')) plain = false;
  }
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string const_text(const pg_query::Node& n) {
  if (n.has_a_const()) {
    const auto& c = n.a_const();
    if (c.has_sval()) return c.sval().sval();
    if (c.has_ival()) return std::to_string(c.ival().ival());
    if (c.has_fval()) return c.fval().fval();
    if (c.has_boolval()) return c.boolval().boolval() ? "on" : "off";
  }
  if (n.has_type_cast()) return const_text(n.type_cast().arg());
  return {};
}

// E'' literal with every quote and backslash doubled: means the same text whatever
// standard_conforming_strings is.
std::string e_literal(std::string_view s) {
  std::string out = "E'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

}  // namespace

bool is_tracked_setting(const std::string& name) {
  return name == "search_path" || name == "standard_conforming_strings" ||
         name == "session_authorization" || name.rfind("tombstone.", 0) == 0;
}

std::string setting_value(const std::string& name,
                          const google::protobuf::RepeatedPtrField<pg_query::Node>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ", ";
    out += name == "search_path" ? quote_ident(const_text(a)) : const_text(a);
  }
  return out;
}

std::optional<std::string> validate_setting(const std::string& name, const std::string& value) {
  std::string v = lower_ascii(value);
  if (name == "tombstone.visibility" && v != "active" && v != "all") {
    return "tombstone: invalid value for parameter \"tombstone.visibility\": \"" + value +
           "\" (expected active or all)";
  }
  if (name == "tombstone.delete" && v != "soft" && v != "hard") {
    return "tombstone: invalid value for parameter \"tombstone.delete\": \"" + value +
           "\" (expected soft or hard)";
  }
  return std::nullopt;
}

std::string normalize_search_path_entry(std::string_view raw) {
  std::size_t b = 0, e = raw.size();
  while (b < e && (raw[b] == ' ' || raw[b] == '\t' || raw[b] == '\n' || raw[b] == '\r')) ++b;
  while (e > b &&
         (raw[e - 1] == ' ' || raw[e - 1] == '\t' || raw[e - 1] == '\n' || raw[e - 1] == '\r'))
    --e;
  std::string_view s = raw.substr(b, e - b);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      out += s[i];
      if (s[i] == '"' && i + 2 < s.size() && s[i + 1] == '"') ++i;
    }
    return out;
  }
  return lower_ascii(s);
}

std::vector<std::string> parse_search_path(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  for (char c : value) {
    if (c == '"') quoted = !quoted;  // a doubled quote toggles twice: stays inside
    if (c == ',' && !quoted) {
      out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(current);
  std::vector<std::string> trimmed;
  for (auto& entry : out) {
    std::size_t b = entry.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) continue;
    std::size_t e = entry.find_last_not_of(" \t\r\n");
    trimmed.push_back(entry.substr(b, e - b + 1));
  }
  return trimmed;
}

std::optional<bool> parse_bool_setting(std::string_view value) {
  std::string v = lower_ascii(value);
  if (v == "on" || v == "true" || v == "yes" || v == "1" || v == "t" || v == "y") return true;
  if (v == "off" || v == "false" || v == "no" || v == "0" || v == "f" || v == "n") return false;
  return std::nullopt;
}

void apply_setting(SessionState& session, const SettingChange& change) {
  auto reset_search_path = [&] {
    session.search_path = session.default_search_path.empty()
                              ? std::vector<std::string>{"\"$user\"", "public"}
                              : session.default_search_path;
  };
  if (change.reset_all) {
    reset_search_path();
    session.standard_conforming_strings = true;
    session.visibility = session.admin ? Visibility::kAll : Visibility::kActive;
    session.delete_mode = DeleteMode::kSoft;
    return;
  }
  if (change.name == "search_path") {
    if (change.value)
      session.search_path = parse_search_path(*change.value);
    else
      reset_search_path();
  } else if (change.name == "standard_conforming_strings") {
    session.standard_conforming_strings =
        change.value ? parse_bool_setting(*change.value).value_or(true) : true;
  } else if (change.name == "session_authorization") {
    if (change.value) session.session_user = *change.value;
  } else if (change.name == "tombstone.visibility" && session.admin) {
    std::string v = change.value ? lower_ascii(*change.value) : "all";
    session.visibility = v == "active" ? Visibility::kActive : Visibility::kAll;
  } else if (change.name == "tombstone.delete" && session.admin) {
    std::string v = change.value ? lower_ascii(*change.value) : "soft";
    session.delete_mode = v == "hard" ? DeleteMode::kHard : DeleteMode::kSoft;
  }
}

std::string error_statement(const RewriteError& error) {
  std::string body = "BEGIN RAISE EXCEPTION USING ERRCODE = " + e_literal(error.sqlstate) +
                     ", MESSAGE = " + e_literal(error.message);
  if (!error.hint.empty()) body += ", HINT = " + e_literal(error.hint);
  body += "; END";
  // A dollar-quote tag that cannot occur in the body.
  std::string tag = "$tombstone$";
  for (int n = 1; body.find(tag) != std::string::npos; ++n)
    tag = "$tombstone" + std::to_string(n) + "$";
  return "DO " + tag + " " + body + " " + tag;
}

}  // namespace tombstone::parser
