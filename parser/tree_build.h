// Small builders for libpg_query parse-tree nodes and the column-name rule PostgreSQL applies to
// unnamed select-list items. Internal to tombstone_parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg_query.pb.h"

namespace tombstone::parser::tree {

using pg_query::Node;

Node string_node(std::string_view s);
Node column_ref(const std::vector<std::string>& fields);
Node star_ref(const std::vector<std::string>& qualifiers);  // q.* (or * when empty)
Node is_null(Node arg);
Node null_of_type(const pg_query::TypeName& type);  // NULL::type
Node string_const(std::string_view s);
Node func_call(const std::vector<std::string>& name, std::vector<Node> args);
Node res_target(std::string_view name, Node val);
Node range_var(std::string_view schema, std::string_view relname);
Node common_table_expr(std::string_view name, Node query);

// ANDs `pred` into the boolean expression held in `slot` (sets it when empty). An existing AND
// gets one more argument, which is also how the grammar would re-parse the deparsed text.
void and_into(Node& slot, Node pred);

// The output column name PostgreSQL gives an unnamed select-list item (FigureColname()).
std::string figure_colname(const Node& expr);

// The TypeName node for a format_type() string ("character varying(20)"), parsed once per thread.
std::optional<pg_query::TypeName> type_name_for(const std::string& type);

// Expressions Tombstone writes into statements (DESIGN §2), parsed once per thread.
const Node& now_expr();
const Node& actor_expr();
const Node& reason_expr();

}  // namespace tombstone::parser::tree
