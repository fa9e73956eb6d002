// Minimal JSON string writing for `tombstone rewrite --batch` (one object per line).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace tombstone::tools {

// A JSON string literal (with quotes) for UTF-8 text: quotes, backslashes and control characters
// escaped (RFC 8259 §7); other bytes, non-ASCII included, pass through unchanged.
inline std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace tombstone::tools
