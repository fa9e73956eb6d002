// parser_cases_tool [--update] FILE...   print (or write back) the observed result of each case
// parser_cases_tool -e SQL [MODE]          print the rewrite of one string
// parser_cases_tool --catalog-query        print catalog_query() for the test policy
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "tests/unit/parser/case_file.h"
#include "tests/unit/parser/fixture.h"

using namespace tombstone::parser;
using namespace tombstone::parser::testing;

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--catalog-query") {
    std::cout << catalog_query(test_config()) << "\n";
    return 0;
  }
  if (argc >= 3 && std::string(argv[1]) == "-e") {
    Case c;
    c.input = argv[2];
    if (argc >= 4) c.options.emplace_back("mode", argv[3]);
    auto r = rewrite(c.input, config_for(c), test_catalog(), session_for(c));
    std::cout << format_case(c, observe(c, r));
    return 0;
  }
  if (argc >= 2 && std::string(argv[1]) == "--json") {
    // One JSON object per case: what a check against a real server needs.
    auto esc = [](const std::string& v) {
      std::string o;
      for (char ch : v) {
        if (ch == '"' || ch == '\\') o += '\\';
        if (ch == '\n') {
          o += "\\n";
          continue;
        }
        if (ch == '\t') {
          o += "\\t";
          continue;
        }
        o += ch;
      }
      return o;
    };
    Catalog catalog = test_catalog();
    for (int i = 2; i < argc; ++i) {
      for (const auto& c : load_case_file(argv[i])) {
        auto r = rewrite(c.input, config_for(c), catalog, session_for(c));
        std::string err;
        for (const auto& st : r.statements) {
          if (st.error && err.empty()) err = st.error->sqlstate;
        }
        std::cout << "{\"where\": \"" << esc(c.file + ":" + std::to_string(c.line))
                  << "\", \"name\": \"" << esc(c.name) << "\", \"mode\": \""
                  << esc(c.option("mode", "user")) << "\", \"tag\": \"" << observe(c, r).tag
                  << "\", \"search_path\": \"" << esc(c.option("search_path"))
                  << "\", \"input\": \"" << esc(c.input) << "\", \"output\": \"" << esc(r.sql)
                  << "\", \"error\": \"" << err << "\"}\n";
      }
    }
    return 0;
  }
  bool update = argc > 1 && std::string(argv[1]) == "--update";
  Catalog catalog = test_catalog();
  for (int i = update ? 2 : 1; i < argc; ++i) {
    std::string path = argv[i];
    std::ifstream in(path);
    std::stringstream whole;
    whole << in.rdbuf();
    std::string text = whole.str();
    std::string header = text.substr(0, text.find("### "));
    std::string out = header;
    for (const auto& c : load_case_file(path)) {
      auto r = rewrite(c.input, config_for(c), catalog, session_for(c));
      out += format_case(c, observe(c, r)) + "\n";
    }
    if (update) {
      while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
        out.pop_back();
      std::ofstream(path) << out;
    } else {
      std::cout << out;
    }
  }
  return 0;
}
