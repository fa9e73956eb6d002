// Shared plumbing of the operator commands: option parsing (`--name value`, `--name=value`,
// flags), usage text, loading the config and connecting with libpq.
#pragma once

#include <cstdio>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "tools/pg.h"

namespace tombstone::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // findings, database errors, refused restores
inline constexpr int kExitUsage = 2;

struct OptionSpec {
  std::string_view name;        // without "--"
  std::string_view value_name;  // empty: a flag without a value
  std::string_view help;
};

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::vector<OptionSpec> options;
};

struct Args {
  std::map<std::string, std::string, std::less<>> values;  // flags map to ""
  bool help = false;

  bool has(std::string_view name) const { return values.contains(name); }
  std::optional<std::string> get(std::string_view name) const;
};

// argv[0] is the command name. Errors are the text to print before the usage.
std::expected<Args, std::string> parse_args(const CommandSpec& spec, int argc, char** argv);
void print_usage(const CommandSpec& spec, std::FILE* out);

// The options every database command takes.
OptionSpec config_option();
OptionSpec dsn_option();

// Parses argv, handles --help, loads --config and connects to --dsn. On failure prints why and
// returns the exit code to use (0 after --help).
struct Context {
  Args args;
  config::Config config;
  std::optional<Connection> conn;
};
std::expected<Context, int> start_command(const CommandSpec& spec, int argc, char** argv,
                                          bool needs_connection);

// Whole number option with a default; nullopt (after printing why) when malformed.
std::optional<long> number_option(const Args& args, std::string_view name, long fallback, long min);

}  // namespace tombstone::tools
