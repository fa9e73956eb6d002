// Table-driven rewrite cases (tests/unit/parser/cases/*.txt). One case:
//
//   ### name of the case
//   @mode user|admin|admin-active|admin-hard     (optional; default user)
//   @search_path "$user", public                   (optional; session search_path)
//   @unparsable forward                            (optional; default reject)
//   @scs off                                       (optional; standard_conforming_strings)
//   @tag delete|truncate|none[,...]                (fix-up per statement; default none)
//   @settings search_path="a", b;tombstone.actor=RESET   (setting changes reported, if any)
//   @prepared name delete                          (PREPARE: the fix-up EXECUTE will need)
//   SQL sent by the client (any number of lines)
//   ---
//   expected SQL sent to the server | UNCHANGED | ERROR <sqlstate> <message>
//
// Adding a case is adding such a block. Every case also asserts that the output re-parses.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "parser/catalog.h"
#include "parser/rewriter.h"

namespace tombstone::parser::testing {

struct Case {
  std::string file;
  int line = 0;
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;  // @key value, in order
  std::string input;
  std::string expected;

  std::string option(const std::string& key, const std::string& fallback = "") const;
};

std::vector<Case> load_cases(const std::string& dir);
std::vector<std::string> case_files(const std::string& dir);
std::vector<Case> load_case_file(const std::string& path);

config::Config config_for(const Case& c);
SessionState session_for(const Case& c);

// What a case's expectation lines say about a result: "@tag ...", "@settings ...",
// "@prepared ..." (only when not default) and the expected block.
struct Observed {
  std::string tag;       // "" when every statement has no fix-up
  std::string settings;  // "" when none
  std::string prepared;  // "" when none
  std::string expected;  // UNCHANGED | ERROR ... | SQL
};
Observed observe(const Case& c, const Rewrite& r);

// Writes cases back in the file format (used by the cases tool's --update).
std::string format_case(const Case& c, const Observed& o);

}  // namespace tombstone::parser::testing
