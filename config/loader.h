// Loads and fully validates tombstone.yaml (DESIGN §6) into config::Config.
//
// Every problem is reported as "FILE:LINE: KEY: problem (expected …)" or "… — fix: …", one line
// per problem (several problems are joined with '\n'), e.g.
//   tombstone.yaml:7: tables.public.users.strategy: unknown strategy 'sfot' (expected soft,
//   archive or hard)
// Relative certificate/key/CA paths are resolved against the directory of the config file
// (load_config_file) or the working directory (load_config_string) and stored absolute.
// Config::generation is left 0: the caller (the proxy) numbers successful (re)loads.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "config/config.h"

namespace tombstone::config {

std::expected<Config, std::string> load_config_file(const std::string& path);

// `source_name` is what messages call the text (normally the file name).
std::expected<Config, std::string> load_config_string(std::string_view yaml,
                                                      std::string_view source_name);

// Parses a SQL name as tables: keys are written: "users", "public.users", 'public."Notes"'.
// Unquoted parts fold to lower case, double-quoted parts are exact ("" is a quote), a missing
// schema means "public". Returns the problem text on failure.
std::expected<QualifiedName, std::string> parse_qualified_name(std::string_view text);

// Parses one SQL identifier with the same folding rules (column names in the config).
std::expected<std::string, std::string> parse_identifier(std::string_view text);

}  // namespace tombstone::config
