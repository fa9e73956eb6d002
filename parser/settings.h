// Session settings Tombstone tracks (DESIGN §4): which ones, their values as SET spells them,
// and validation of tombstone.visibility / tombstone.delete. Internal to tombstone_parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pg_query.pb.h"

namespace tombstone::parser {

// search_path, standard_conforming_strings, session_authorization, tombstone.*
bool is_tracked_setting(const std::string& lower_name);

// The value SET gives the setting, as SHOW would print it: search_path elements are quoted as
// identifiers (GUC_LIST_QUOTE), other settings take their single argument's text.
std::string setting_value(const std::string& lower_name,
                          const google::protobuf::RepeatedPtrField<pg_query::Node>& args);

// An error message when `value` is invalid for tombstone.visibility / tombstone.delete.
std::optional<std::string> validate_setting(const std::string& lower_name,
                                            const std::string& value);

// One raw search_path entry ("\"$user\"", "Public", "\"My\"\"S\"") to the schema name it means.
std::string normalize_search_path_entry(std::string_view raw);

}  // namespace tombstone::parser
