// libFuzzer target for the rewriter: arbitrary text (and session mode) into rewrite(). Properties
// checked on every input, aborting on violation:
//   - an unchanged result is the input byte-for-byte;
//   - every statement Tombstone rewrote or refused re-parses with the PG 15 grammar (so the
//     server never receives text Tombstone produced by mistake);
//   - statement byte ranges lie inside the input, in order;
//   - the cache returns what rewrite() returns, also when it answers from a literal template
//     (the input's statement shape with other literals).
// The first input byte selects the session: user, admin, admin with delete=hard, or
// standard_conforming_strings off.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parser/literal_template.h"
#include "parser/pg_tree.h"
#include "parser/rewriter.h"
#include "tests/unit/parser/fixture.h"

using namespace tombstone::parser;

namespace {

[[noreturn]] void violated(const char* what, std::string_view in, std::string_view out) {
  std::fprintf(stderr, "fuzz_rewriter: %s\n  input: %.*s\n  output: %.*s\n", what,
               static_cast<int>(in.size()), in.data(), static_cast<int>(out.size()), out.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto config = testing::test_config();
  static const auto catalog = testing::test_catalog();
  if (size == 0 || size > 16384) return 0;
  SessionState session = testing::user_session();
  switch (data[0] % 4) {
    case 1:
      session = testing::admin_session();
      break;
    case 2:
      session = testing::admin_session();
      session.delete_mode = DeleteMode::kHard;
      break;
    case 3:
      session.standard_conforming_strings = false;
      break;
    default:
      break;
  }
  std::string_view sql(reinterpret_cast<const char*>(data + 1), size - 1);
  Rewrite r = rewrite(sql, config, catalog, session);
  std::string_view effective = sql.substr(0, sql.find('\0'));  // the server stops at NUL too
  if (!r.changed && r.sql != effective) violated("unchanged result differs from input", sql, r.sql);
  // Statements Tombstone wrote (rewrites and refusals) must parse; others are the client's.
  for (const auto& st : r.statements) {
    if (st.changed && !parse_sql(st.sql))
      violated("rewritten statement does not parse", sql, st.sql);
  }
  std::size_t end = 0;
  for (const auto& st : r.statements) {
    if (st.offset < end || st.offset + st.length > effective.size()) {
      violated("statement range outside the input", sql, r.sql);
    }
    end = st.offset + st.length;
  }
  RewriteCache cache(2);
  if (cache.get(sql, config, catalog, session).sql != r.sql) {
    violated("cache disagrees with rewrite()", sql, r.sql);
  }
  // The same statement shape with other literals: a template answer must be rewrite()'s.
  if (auto shape = literal_shape(effective, session.standard_conforming_strings)) {
    std::string other;
    std::size_t pos = 0;
    for (const Literal& l : shape->literals) {
      other.append(effective.substr(pos, l.offset - pos));
      other += l.string ? "'o''k'" : "4096";
      pos = l.offset + l.length;
    }
    other.append(effective.substr(pos));
    const Rewrite want = rewrite(other, config, catalog, session);
    const Rewrite& got = cache.get(other, config, catalog, session);
    if (got.sql != want.sql || got.changed != want.changed ||
        got.statements.size() != want.statements.size()) {
      violated("literal template disagrees with rewrite()", other, got.sql);
    }
    for (std::size_t i = 0; i < got.statements.size(); ++i) {
      const auto& g = got.statements[i];
      const auto& w = want.statements[i];
      if (g.offset != w.offset || g.length != w.length || g.sql != w.sql || g.fixup != w.fixup ||
          g.settings.size() != w.settings.size() || g.error.has_value() != w.error.has_value()) {
        violated("literal template statement disagrees with rewrite()", other, g.sql);
      }
    }
  }
  return 0;
}
