#include "parser/statement_rewriter.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "parser/pg_tree.h"
#include "parser/settings.h"
#include "parser/tree_build.h"

namespace tombstone::parser {

using config::Strategy;
using config::TablePolicy;
using google::protobuf::RepeatedPtrField;
using pg_query::Node;

namespace {

constexpr const char* kDeletedCte = "_tombstone_deleted";
constexpr const char* kMovedCte = "_tombstone_moved";
constexpr const char* kReturnPrefix = "_tombstone_r";
constexpr const char* kKeyColumn = "_tombstone_key";
constexpr const char* kAdminHint =
    "Only sessions of a role listed in admin_roles (tombstone.yaml) may change it.";

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool is_tracked_delete_setting(const std::string& name) {
  return name == "tombstone.visibility" || name == "tombstone.delete";
}

bool is_star(const Node& n) {
  if (!n.has_column_ref()) return false;
  const auto& f = n.column_ref().fields();
  return !f.empty() && f[f.size() - 1].has_a_star();
}

// The qualifier strings of a `q.*` / `q.col` reference, without the last field.
std::vector<std::string> ref_prefix(const pg_query::ColumnRef& ref) {
  std::vector<std::string> out;
  for (int i = 0; i + 1 < ref.fields_size(); ++i) {
    if (ref.fields(i).has_string()) out.push_back(ref.fields(i).string().sval());
  }
  return out;
}

bool same_ref(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return false;
  // `users.col` matches a target written `public.users` without alias: compare the last part.
  if (a.size() != b.size()) return a.back() == b.back();
  return a == b;
}

// The refname a FROM item exposes for `name.*` (empty when it has none).
std::string item_refname(const Node& item) {
  switch (item.node_case()) {
    case Node::kRangeVar:
      return item.range_var().has_alias() ? item.range_var().alias().aliasname()
                                          : item.range_var().relname();
    case Node::kRangeSubselect:
      return item.range_subselect().alias().aliasname();
    case Node::kRangeFunction:
      return item.range_function().alias().aliasname();
    case Node::kJoinExpr:
      return item.join_expr().has_alias() ? item.join_expr().alias().aliasname() : "";
    default:
      return "";
  }
}

// Appends `ref.*` for every relation a FROM item contributes to a bare `*`, in order.
bool star_items(const Node& item, std::vector<Node>& out) {
  if (item.has_join_expr() && !item.join_expr().has_alias()) {
    const auto& j = item.join_expr();
    if (j.is_natural() || j.using_clause_size() > 0) return false;  // merged columns
    return star_items(j.larg(), out) && star_items(j.rarg(), out);
  }
  std::string name = item_refname(item);
  if (name.rfind("_tombstone_f", 0) == 0) return true;  // filter_in_place's zero-column item
  if (name.empty()) return false;
  out.push_back(tree::res_target("", tree::star_ref({name})));
  return true;
}

// True when a FROM item (joins included) exposes `name`, hiding an outer relation of that name.
bool from_exposes(const RepeatedPtrField<Node>& from, const std::string& name) {
  for (const auto& item : from) {
    if (item_refname(item) == name) return true;
    if (item.has_join_expr() && !item.join_expr().has_alias()) {
      RepeatedPtrField<Node> sides;
      *sides.Add() = item.join_expr().larg();
      *sides.Add() = item.join_expr().rarg();
      if (from_exposes(sides, name)) return true;
    }
  }
  return false;
}

// Replaces references to columns Tombstone sets (soft marker, deleted_by, reason) of the DELETE
// target with NULL::type, so RETURNING shows the row as a hard DELETE would. In subqueries only
// references that still reach the target count: qualified ones, unqualified ones (`reach`, all
// when nullptr) while no FROM list in between supplies or may supply that name, and none below a
// FROM item that reuses the target's name.
// `whole_row`, when given, replaces whole-row references of the target (`t`, or `t.*` inside an
// expression such as row_to_json(t.*)), which would otherwise show the marker just set.
// Whether the items of a FROM list supply a column of that name (nullopt: cannot tell).
using FromHasColumn =
    std::function<std::optional<bool>(const RepeatedPtrField<Node>&, const std::string&)>;

void null_managed_columns(Node& n, const std::vector<std::string>& quals,
                          const std::vector<std::pair<std::string, pg_query::TypeName>>& cols,
                          const Node* whole_row, const FromHasColumn* from_has = nullptr,
                          const std::vector<std::string>* reach = nullptr) {
  if (n.has_column_ref()) {
    const auto& ref = n.column_ref();
    if (whole_row != nullptr && !quals.empty()) {
      bool bare = ref.fields_size() == 1 && ref.fields(0).has_string() &&
                  ref.fields(0).string().sval() == quals.back();
      bool star = ref.fields_size() >= 2 && is_star(n) && same_ref(ref_prefix(ref), quals);
      if (bare || star) {
        n = *whole_row;
        return;
      }
    }
    if (ref.fields_size() == 0 || !ref.fields(ref.fields_size() - 1).has_string()) return;
    const std::string& col = ref.fields(ref.fields_size() - 1).string().sval();
    auto prefix = ref_prefix(ref);
    if (!prefix.empty() && !same_ref(prefix, quals)) return;
    if (prefix.empty() && reach != nullptr &&
        std::find(reach->begin(), reach->end(), col) == reach->end()) {
      return;
    }
    for (const auto& [name, type] : cols) {
      if (name == col) {
        n = tree::null_of_type(type);
        return;
      }
    }
    return;
  }
  if (whole_row != nullptr && n.has_row_expr()) {
    // ROW(t.*) expands to t's columns, not to one composite: splice in the NULL-marker columns.
    auto* args = n.mutable_row_expr()->mutable_args();
    RepeatedPtrField<Node> spliced;
    for (auto& a : *args) {
      if (is_star(a) && same_ref(ref_prefix(a.column_ref()), quals)) {
        for (const auto& c : whole_row->type_cast().arg().row_expr().args()) *spliced.Add() = c;
      } else {
        null_managed_columns(a, quals, cols, whole_row, from_has, reach);
        *spliced.Add() = std::move(a);
      }
    }
    *args = std::move(spliced);
    return;
  }
  if (n.has_sub_link()) {
    auto& link = *n.mutable_sub_link();
    if (link.has_testexpr()) {
      null_managed_columns(*link.mutable_testexpr(), quals, cols, whole_row, from_has, reach);
    }
    if (link.has_subselect()) {
      null_managed_columns(*link.mutable_subselect(), quals, cols, whole_row, from_has, reach);
    }
    return;
  }
  std::vector<std::string> narrowed;
  if (n.has_select_stmt()) {
    const auto& sel = n.select_stmt();
    if (quals.empty() || from_exposes(sel.from_clause(), quals.back())) return;
    if (sel.from_clause_size() > 0) {
      for (const auto& [name, type] : cols) {
        if (reach != nullptr && std::find(reach->begin(), reach->end(), name) == reach->end()) {
          continue;
        }
        std::optional<bool> has =
            from_has != nullptr ? (*from_has)(sel.from_clause(), name) : std::nullopt;
        if (has.has_value() && !*has) narrowed.push_back(name);
      }
      reach = &narrowed;
    }
  }
  if (n.has_res_target() && n.res_target().name().empty() &&
      n.res_target().val().has_column_ref()) {
    // A subquery's output name shows through `(SELECT t.deleted_at)`: keep it after the swap.
    auto& rt = *n.mutable_res_target();
    std::string name = tree::figure_colname(rt.val());
    null_managed_columns(*rt.mutable_val(), quals, cols, whole_row, from_has, reach);
    if (!rt.val().has_column_ref()) rt.set_name(name);
    return;
  }
  google::protobuf::Message* m = nullptr;
  const auto* refl = n.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(n, &fields);
  if (fields.empty()) return;
  m = refl->MutableMessage(&n, fields[0]);
  const auto* mr = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> sub;
  mr->ListFields(*m, &sub);
  for (const auto* f : sub) {
    if (f->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) continue;
    if (f->message_type() != Node::descriptor()) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < mr->FieldSize(*m, f); ++i) {
        null_managed_columns(static_cast<Node&>(*mr->MutableRepeatedMessage(m, f, i)), quals, cols,
                             whole_row, from_has, reach);
      }
    } else {
      null_managed_columns(static_cast<Node&>(*mr->MutableMessage(m, f)), quals, cols, whole_row,
                           from_has, reach);
    }
  }
}

}  // namespace

bool StatementRewriter::Scope::has(const std::string& name) const {
  for (const Scope* s = this; s != nullptr; s = s->parent) {
    if (std::find(s->names.begin(), s->names.end(), name) != s->names.end()) return true;
  }
  return false;
}

StatementRewriter::StatementRewriter(const config::Config& config, const Catalog& catalog,
                                     const SessionState& session)
    : config_(config),
      catalog_(catalog),
      session_(session),
      filter_(!session.admin || session.visibility == Visibility::kActive) {
  // PostgreSQL searches the session's temp schema first and pg_catalog before the path unless
  // the path names them explicitly.
  std::vector<std::string> entries;
  for (const auto& raw : session.search_path) {
    std::string e = normalize_search_path_entry(raw);
    if (e == "$user") e = session.session_user;
    if (!e.empty()) entries.push_back(e);
  }
  if (std::find(entries.begin(), entries.end(), "pg_temp") == entries.end()) {
    path_.push_back("pg_temp");
  }
  if (std::find(entries.begin(), entries.end(), "pg_catalog") == entries.end()) {
    path_.push_back("pg_catalog");
  }
  path_.insert(path_.end(), entries.begin(), entries.end());
}

void StatementRewriter::fail(std::string sqlstate, std::string message, std::string hint) {
  if (!error_) error_ = RewriteError{std::move(sqlstate), std::move(message), std::move(hint)};
}

void StatementRewriter::record_delete(const TablePolicy& policy) {
  if (in_prepare_) return;
  deletes_.push_back(
      DeleteTarget{policy.table, deleting_hard() ? Strategy::kHard : policy.strategy});
}

bool StatementRewriter::deleting_hard() const {
  return session_.admin && session_.delete_mode == DeleteMode::kHard;
}

std::string StatementRewriter::unique_cte_name(const std::string& base) {
  int n = cte_counter_++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

StatementRewriter::Resolved StatementRewriter::lookup(const config::QualifiedName& name) {
  Resolved r{config_.find_table(name), catalog_.find(name)};
  if (r.policy != nullptr && r.relation == nullptr) {
    // The snapshot lists what this session's role can see: the table does not exist, or the
    // role has no USAGE on its schema. Refused either way (never forwarded unfiltered).
    fail("42P01",
         "tombstone: managed table " + name.to_sql() + " does not exist or is not visible to " +
             (session_.session_user.empty() ? std::string("this role") : session_.session_user),
         "Create the table (tombstone migrate), GRANT USAGE on its schema to the role, or remove "
         "it from tombstone.yaml and reload.");
    r.policy = nullptr;
  }
  if (r.policy == nullptr && r.relation != nullptr && r.relation->relkind == 'v') {
    for (const auto& t : config_.tables) {
      if (t.table.name == name.name) {
        r.view_of = &t;
        break;
      }
    }
  }
  return r;
}

StatementRewriter::Resolved StatementRewriter::read_filter(const Resolved& r) const {
  if (r.policy != nullptr) return r;
  if (r.view_of != nullptr && r.view_of->strategy == Strategy::kSoft &&
      r.relation->find_column(r.view_of->column) != nullptr) {
    return Resolved{r.view_of, r.relation, nullptr};
  }
  return {};
}

bool StatementRewriter::refuse_view_write(const Resolved& target, const char* what) {
  if (target.view_of == nullptr) return false;
  fail("0A000",
       std::string("tombstone: ") + what + " through view " + target.relation->name.to_sql() +
           ", named like managed table " + target.view_of->table.to_sql() + ", is refused",
       "An auto-updatable view would change the table on the server, past Tombstone; write to "
       "the table itself (schema-qualified).");
  return true;
}

StatementRewriter::Resolved StatementRewriter::resolve(const pg_query::RangeVar& rv,
                                                       const Scope* scope) {
  if (!rv.schemaname().empty()) return lookup({rv.schemaname(), rv.relname()});
  if (scope != nullptr && scope->has(rv.relname())) return {};  // a CTE shadows the table
  for (const auto& schema : path_) {
    config::QualifiedName q{schema, rv.relname()};
    if (catalog_.find(q) != nullptr || config_.find_table(q) != nullptr) return lookup(q);
  }
  return {};
}

std::vector<std::string> StatementRewriter::qualifiers(const pg_query::RangeVar& rv,
                                                       const Relation* relation) const {
  if (rv.has_alias()) return {rv.alias().aliasname()};
  // Without an alias, qualify with the schema the name resolved to: `users` and `crm.users` in
  // one FROM list are both "users", and an unqualified users.col would be ambiguous.
  std::string schema = !rv.schemaname().empty() ? rv.schemaname()
                       : relation != nullptr    ? relation->name.schema
                                                : std::string();
  if (!schema.empty()) return {schema, rv.relname()};
  return {rv.relname()};
}

std::string StatementRewriter::marker_name(const pg_query::RangeVar& rv, const Ref& ref) const {
  const std::string& marker = ref.target.policy->column;
  if (!rv.has_alias() || rv.alias().colnames_size() == 0) return marker;
  // `users AS u(a, b, c)` renames columns by position.
  const auto& cols = ref.target.relation->columns;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name != marker) continue;
    if (static_cast<int>(i) < rv.alias().colnames_size() &&
        rv.alias().colnames(static_cast<int>(i)).has_string()) {
      return rv.alias().colnames(static_cast<int>(i)).string().sval();
    }
    break;
  }
  return marker;
}

bool StatementRewriter::run(Node& stmt, StatementRewrite& out) {
  switch (stmt.node_case()) {
    case Node::kSelectStmt:
    case Node::kInsertStmt:
    case Node::kUpdateStmt:
    case Node::kDeleteStmt:
    case Node::kMergeStmt:
    case Node::kCopyStmt:
    case Node::kTruncateStmt:
    case Node::kExplainStmt:
    case Node::kDeclareCursorStmt:
    case Node::kVariableSetStmt:
    case Node::kVariableShowStmt:
    case Node::kTransactionStmt:
    case Node::kFetchStmt:
    case Node::kClosePortalStmt:
    case Node::kListenStmt:
    case Node::kUnlistenStmt:
    case Node::kNotifyStmt:
    case Node::kLockStmt:
    case Node::kCheckPointStmt:
    case Node::kVacuumStmt:
    case Node::kCallStmt:
    case Node::kDoStmt:
    case Node::kConstraintsSetStmt:
      break;
    case Node::kPrepareStmt: {
      auto& p = *stmt.mutable_prepare_stmt();
      in_prepare_ = true;
      statement(*p.mutable_query(), nullptr, true, nullptr);
      in_prepare_ = false;
      out.prepared_name = p.name();
      out.prepared_fixup = fixup_;
      fixup_ = TagFixup::kNone;
      break;
    }
    case Node::kExecuteStmt:
      out.execute_name = stmt.execute_stmt().name();
      for (auto& p : *stmt.mutable_execute_stmt()->mutable_params()) expr_node(p, nullptr);
      break;
    case Node::kDeallocateStmt:
      out.deallocate_name = stmt.deallocate_stmt().name();
      break;
    case Node::kDiscardStmt:
      if (stmt.discard_stmt().target() == pg_query::DISCARD_ALL) {
        settings_.push_back(SettingChange{"", std::nullopt, false, true});
        out.deallocate_name = "";
      }
      out.ddl = stmt.discard_stmt().target() == pg_query::DISCARD_ALL ||
                stmt.discard_stmt().target() == pg_query::DISCARD_TEMP;
      break;
    case Node::kAlterRoleSetStmt:
      if (stmt.alter_role_set_stmt().has_setstmt()) {
        variable_set(stmt.alter_role_set_stmt().setstmt(), true);
      }
      out.ddl = true;
      break;
    case Node::kAlterDatabaseSetStmt:
      if (stmt.alter_database_set_stmt().has_setstmt()) {
        variable_set(stmt.alter_database_set_stmt().setstmt(), true);
      }
      out.ddl = true;
      break;
    default:
      // CREATE/ALTER/DROP/... : the relations the catalog snapshot describes may have changed.
      out.ddl = true;
      break;
  }
  if (!stmt.has_prepare_stmt()) statement(stmt, nullptr, true, nullptr);
  if (stmt.has_create_table_as_stmt() || stmt.has_view_stmt() ||
      (stmt.has_select_stmt() && stmt.select_stmt().has_into_clause())) {
    out.ddl = true;  // creates a relation (SELECT INTO too)
  }
  out.fixup = fixup_;
  out.deletes = std::move(deletes_);
  out.literal_sensitive = literal_sensitive_;
  out.settings = std::move(settings_);
  if (error_) out.error = error_;
  return changed_;
}

void StatementRewriter::statement(Node& node, const Scope* scope, bool top,
                                  std::vector<Node>* hoist) {
  switch (node.node_case()) {
    case Node::kSelectStmt:
      select(*node.mutable_select_stmt(), scope, top);
      break;
    case Node::kInsertStmt:
      insert(*node.mutable_insert_stmt(), scope, top);
      break;
    case Node::kUpdateStmt:
      update(*node.mutable_update_stmt(), scope, top);
      break;
    case Node::kDeleteStmt:
      delete_(node, scope, top, hoist);
      break;
    case Node::kMergeStmt:
      merge(*node.mutable_merge_stmt(), scope, top);
      break;
    case Node::kCopyStmt:
      copy(*node.mutable_copy_stmt());
      break;
    case Node::kTruncateStmt:
      truncate(node);
      break;
    case Node::kExplainStmt: {
      // EXPLAIN's tag is EXPLAIN whatever the explained statement becomes.
      TagFixup saved = fixup_;
      statement(*node.mutable_explain_stmt()->mutable_query(), scope, true, nullptr);
      fixup_ = saved;
      break;
    }
    case Node::kDeclareCursorStmt:
      statement(*node.mutable_declare_cursor_stmt()->mutable_query(), scope, true, nullptr);
      break;
    case Node::kCreateTableAsStmt:
      statement(*node.mutable_create_table_as_stmt()->mutable_query(), scope, true, nullptr);
      break;
    case Node::kViewStmt:
      statement(*node.mutable_view_stmt()->mutable_query(), scope, true, nullptr);
      break;
    case Node::kPrepareStmt:
      statement(*node.mutable_prepare_stmt()->mutable_query(), scope, true, nullptr);
      break;
    case Node::kVariableSetStmt:
      variable_set(node.variable_set_stmt(), false);
      break;
    case Node::kCallStmt:
      if (node.call_stmt().has_funccall()) {
        expr(*node.mutable_call_stmt()->mutable_funccall(), scope);
      }
      break;
    default:
      break;
  }
}

void StatementRewriter::with_clause(pg_query::WithClause& with, Scope& scope, bool top) {
  if (with.recursive()) {
    for (const auto& c : with.ctes()) scope.names.push_back(c.common_table_expr().ctename());
  }
  // A DELETE inside a top-level CTE may need CTEs of its own (archive/audit): they go right
  // before it, where its siblings can still see it by name.
  RepeatedPtrField<Node> rebuilt;
  for (auto& c : *with.mutable_ctes()) {
    std::vector<Node> before;
    if (c.has_common_table_expr()) {
      statement(*c.mutable_common_table_expr()->mutable_ctequery(), &scope, false,
                top ? &before : nullptr);
      if (!with.recursive()) scope.names.push_back(c.common_table_expr().ctename());
    }
    for (auto& b : before) *rebuilt.Add() = std::move(b);
    *rebuilt.Add() = std::move(c);
  }
  with.mutable_ctes()->Swap(&rebuilt);
}

void StatementRewriter::select(pg_query::SelectStmt& s, const Scope* outer, bool top) {
  Scope scope{outer, {}};
  if (s.has_with_clause()) with_clause(*s.mutable_with_clause(), scope, top);
  if (s.op() != pg_query::SETOP_NONE && s.op() != pg_query::SET_OPERATION_UNDEFINED) {
    if (s.has_larg()) select(*s.mutable_larg(), &scope, false);
    if (s.has_rarg()) select(*s.mutable_rarg(), &scope, false);
    for (auto& n : *s.mutable_sort_clause()) expr_node(n, &scope);
    if (s.has_limit_offset()) expr_node(*s.mutable_limit_offset(), &scope);
    if (s.has_limit_count()) expr_node(*s.mutable_limit_count(), &scope);
    return;
  }
  Level level;
  std::vector<PathStep> path;
  for (auto& item : *s.mutable_from_clause()) from_item(item, level, &scope, path);
  for (auto& n : *s.mutable_target_list()) expr_node(n, &scope);
  if (s.has_where_clause()) expr_node(*s.mutable_where_clause(), &scope);
  for (auto& n : *s.mutable_group_clause()) expr_node(n, &scope);
  if (s.has_having_clause()) expr_node(*s.mutable_having_clause(), &scope);
  for (auto& n : *s.mutable_window_clause()) expr_node(n, &scope);
  for (auto& n : *s.mutable_values_lists()) expr_node(n, &scope);
  for (auto& n : *s.mutable_sort_clause()) expr_node(n, &scope);
  for (auto& n : *s.mutable_distinct_clause()) expr_node(n, &scope);
  if (s.has_limit_offset()) expr_node(*s.mutable_limit_offset(), &scope);
  if (s.has_limit_count()) expr_node(*s.mutable_limit_count(), &scope);
  apply(level, s.mutable_where_clause());
}

void StatementRewriter::from_item(Node& item, Level& level, const Scope* scope,
                                  std::vector<PathStep>& path) {
  switch (item.node_case()) {
    case Node::kRangeVar: {
      Resolved r = read_filter(resolve(item.range_var(), scope));
      if (filter_ && r.policy != nullptr && r.policy->strategy == Strategy::kSoft) {
        level.refs.push_back(Ref{&item, &item.range_var(), r, path});
      }
      return;
    }
    case Node::kJoinExpr: {
      auto& j = *item.mutable_join_expr();
      path.push_back(PathStep{&j, false});
      if (j.has_larg()) from_item(*j.mutable_larg(), level, scope, path);
      path.back().right = true;
      if (j.has_rarg()) from_item(*j.mutable_rarg(), level, scope, path);
      path.pop_back();
      if (j.has_quals()) expr_node(*j.mutable_quals(), scope);
      return;
    }
    case Node::kRangeSubselect:
      statement(*item.mutable_range_subselect()->mutable_subquery(), scope, false, nullptr);
      return;
    case Node::kRangeTableSample: {
      auto& sample = *item.mutable_range_table_sample();
      if (sample.relation().has_range_var()) {
        Resolved r = read_filter(resolve(sample.relation().range_var(), scope));
        if (filter_ && r.policy != nullptr && r.policy->strategy == Strategy::kSoft) {
          level.refs.push_back(Ref{&item, &sample.relation().range_var(), r, path});
        }
      }
      for (auto& a : *sample.mutable_args()) expr_node(a, scope);
      if (sample.has_repeatable()) expr_node(*sample.mutable_repeatable(), scope);
      return;
    }
    default:
      expr_node(item, scope);
      return;
  }
}

void StatementRewriter::apply(Level& level, Node* where) {
  for (auto& ref : level.refs) {
    // Every outer join on the path where R is on a nullable side gets the predicate in its ON,
    // not only the lowest: a deleted row that survives one join (FULL, or LEFT with R on the
    // left) must not match anything in the joins above it either, or it would take the place
    // of the NULL-extended row the other side gets when R's row is gone.
    bool hidden = false;  // an aliased join on the path hides the table's name above it
    bool must_wrap = where == nullptr;
    std::vector<pg_query::JoinExpr*> nullable_joins;
    for (auto it = ref.path.rbegin(); it != ref.path.rend(); ++it) {
      auto& j = *it->join;
      bool on_nullable_side = j.jointype() == pg_query::JOIN_FULL ||
                              (j.jointype() == pg_query::JOIN_LEFT && it->right) ||
                              (j.jointype() == pg_query::JOIN_RIGHT && !it->right);
      if (on_nullable_side) {
        if (hidden || j.is_natural() || j.using_clause_size() > 0) must_wrap = true;
        nullable_joins.push_back(&j);
      }
      if (j.has_alias()) hidden = true;
    }
    if (where == nullptr) {
      wrap(ref);  // MERGE's source: a subquery keeps the deparsed USING item parenthesized
      continue;
    }
    if (must_wrap || hidden) {
      filter_in_place(ref);
      continue;
    }
    auto quals = qualifiers(*ref.range_var, ref.target.relation);
    quals.push_back(marker_name(*ref.range_var, ref));
    tree::and_into(*where, tree::is_null(tree::column_ref(quals)));
    for (auto* j : nullable_joins) {
      tree::and_into(*j->mutable_quals(), tree::is_null(tree::column_ref(quals)));
    }
    changed_ = true;
  }
}

void StatementRewriter::filter_in_place(Ref& ref) {
  // `(t AS r INNER JOIN (SELECT) AS _tombstone_fN ON r.col IS NULL)`: the filter travels with the
  // reference itself. Unlike `(SELECT * FROM t WHERE ...) AS r`, r stays the table: its whole-row
  // type, system columns and primary-key functional dependency (GROUP BY r.id) are kept, and the
  // zero-column item adds nothing to `*`, USING or NATURAL column lists.
  auto quals = qualifiers(*ref.range_var, ref.target.relation);
  quals.push_back(marker_name(*ref.range_var, ref));
  Node empty;
  auto* s = empty.mutable_select_stmt();
  s->set_limit_option(pg_query::LIMIT_OPTION_DEFAULT);
  s->set_op(pg_query::SETOP_NONE);
  Node sub;
  auto* rs = sub.mutable_range_subselect();
  *rs->mutable_subquery() = std::move(empty);
  rs->mutable_alias()->set_aliasname("_tombstone_f" + std::to_string(++filter_counter_));
  Node join;
  auto* j = join.mutable_join_expr();
  j->set_jointype(pg_query::JOIN_INNER);
  *j->mutable_larg() = std::move(*ref.node);
  *j->mutable_rarg() = std::move(sub);
  *j->mutable_quals() = tree::is_null(tree::column_ref(quals));
  *ref.node = std::move(join);
  ref.range_var = nullptr;
  changed_ = true;
}

void StatementRewriter::wrap(Ref& ref) {
  if (!ref.node->has_range_var()) {
    fail("0A000", "tombstone: cannot filter deleted rows of " + ref.target.policy->table.to_sql() +
                      " in this position (TABLESAMPLE)");
    return;
  }
  // `(SELECT * FROM t WHERE col IS NULL) AS t`: same name, same columns (renames kept).
  pg_query::RangeVar rv = ref.node->range_var();
  pg_query::Alias alias;
  if (rv.has_alias())
    alias = rv.alias();
  else
    alias.set_aliasname(rv.relname());
  rv.clear_alias();
  Node sub;
  auto* s = sub.mutable_select_stmt();
  s->set_limit_option(pg_query::LIMIT_OPTION_DEFAULT);
  s->set_op(pg_query::SETOP_NONE);
  *s->add_target_list() = tree::res_target("", tree::star_ref({}));
  *s->add_from_clause()->mutable_range_var() = rv;
  *s->mutable_where_clause() = tree::is_null(tree::column_ref({ref.target.policy->column}));
  auto* rs = ref.node->mutable_range_subselect();
  *rs->mutable_subquery() = std::move(sub);
  *rs->mutable_alias() = std::move(alias);
  changed_ = true;
}

void StatementRewriter::expr_node(Node& n, const Scope* scope) {
  switch (n.node_case()) {
    case Node::NODE_NOT_SET:
    case Node::kString:
    case Node::kInteger:
    case Node::kFloat:
    case Node::kBoolean:
    case Node::kAConst:
    case Node::kColumnRef:
    case Node::kAStar:
    case Node::kRangeVar:  // a relation named outside FROM (FOR UPDATE OF, INTO): not a read
      return;
    case Node::kParamRef:
      // $0 deparses as "?", which does not parse back (found by fuzz_rewriter).
      if (n.param_ref().number() <= 0) risky_ = true;
      return;
    case Node::kSelectStmt:
    case Node::kInsertStmt:
    case Node::kUpdateStmt:
    case Node::kDeleteStmt:
    case Node::kMergeStmt:
      statement(n, scope, false, nullptr);
      return;
    case Node::kFuncCall:
      func_call(n.func_call());
      break;
    case Node::kAIndirection: {
      const auto& arg = n.a_indirection().arg();
      if (!arg.has_column_ref() && !arg.has_param_ref()) risky_ = true;
      break;
    }
    case Node::kMultiAssignRef:
      risky_ = true;
      break;
    default:
      break;
  }
  const auto* refl = n.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(n, &fields);
  for (const auto* f : fields) {
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      expr(*refl->MutableMessage(&n, f), scope);
    }
  }
}

void StatementRewriter::expr(google::protobuf::Message& m, const Scope* scope) {
  const auto* desc = m.GetDescriptor();
  if (desc == Node::descriptor()) {
    expr_node(static_cast<Node&>(m), scope);
    return;
  }
  if (desc == pg_query::SelectStmt::descriptor()) {
    select(static_cast<pg_query::SelectStmt&>(m), scope, false);
    return;
  }
  if (desc == pg_query::RangeVar::descriptor() || desc == pg_query::IntoClause::descriptor()) {
    return;
  }
  const auto* refl = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      int size = refl->FieldSize(m, f);
      for (int i = 0; i < size; ++i) expr(*refl->MutableRepeatedMessage(&m, f, i), scope);
    } else {
      expr(*refl->MutableMessage(&m, f), scope);
    }
  }
}

void StatementRewriter::func_call(const pg_query::FuncCall& f) {
  const auto& name = f.funcname();
  if (name.empty() || !name[name.size() - 1].has_string()) return;
  if (filter_ && refuse_sql_running_function(f)) return;
  if (lower(name[name.size() - 1].string().sval()) != "set_config") return;
  if (name.size() == 2 &&
      (!name[0].has_string() || lower(name[0].string().sval()) != "pg_catalog")) {
    return;  // someone's own schema.set_config
  }
  literal_sensitive_ = true;
  if (f.args_size() != 3) return;
  const auto& a0 = f.args(0);
  if (!a0.has_a_const() || !a0.a_const().has_sval()) {
    fail("0A000", "tombstone: set_config() with a non-constant setting name is not supported",
         "Tombstone tracks search_path and tombstone.* settings; name the setting literally.");
    return;
  }
  std::string setting = lower(a0.a_const().sval().sval());
  if (!is_tracked_setting(setting)) return;
  if (is_tracked_delete_setting(setting) && !session_.admin) {
    fail("42501", "tombstone: permission denied to set " + setting, kAdminHint);
    return;
  }
  std::optional<std::string> value;
  const auto& a1 = f.args(1);
  if (a1.has_a_const() && a1.a_const().has_sval()) {
    value = a1.a_const().sval().sval();
  } else if (a1.has_a_const() && a1.a_const().isnull()) {
    value = std::string();
  } else if (setting.rfind("tombstone.", 0) == 0 && !is_tracked_delete_setting(setting)) {
    return;  // tombstone.actor / tombstone.reason are read by the server itself
  } else {
    fail("0A000", "tombstone: set_config('" + setting +
                      "', ...) with a non-constant value is not supported");
    return;
  }
  bool local = false;
  const auto& a2 = f.args(2);
  if (a2.has_a_const()) {
    if (a2.a_const().has_boolval())
      local = a2.a_const().boolval().boolval();
    else if (a2.a_const().has_sval())
      local =
          lower(a2.a_const().sval().sval()) == "true" || lower(a2.a_const().sval().sval()) == "t";
  } else if (a2.has_type_cast() && a2.type_cast().arg().has_a_const()) {
    const auto& c = a2.type_cast().arg().a_const();
    if (c.has_sval()) local = lower(c.sval().sval()) == "true" || lower(c.sval().sval()) == "t";
  }
  if (is_tracked_delete_setting(setting)) {
    if (auto err = validate_setting(setting, *value)) {
      fail("22023", *err);
      return;
    }
  }
  settings_.push_back(SettingChange{setting, value, local, false});
}

void StatementRewriter::variable_set(const pg_query::VariableSetStmt& s, bool in_alter) {
  std::string name = lower(s.name());
  if (s.kind() == pg_query::VAR_RESET_ALL) {
    if (!in_alter) settings_.push_back(SettingChange{"", std::nullopt, false, true});
    return;
  }
  if (!is_tracked_setting(name)) return;
  bool resetting = s.kind() == pg_query::VAR_RESET || s.kind() == pg_query::VAR_SET_DEFAULT;
  if (is_tracked_delete_setting(name) && !session_.admin && !resetting) {
    fail("42501", "tombstone: permission denied to set " + name, kAdminHint);
    return;
  }
  if (in_alter) return;  // affects future sessions only (read at their start)
  if (resetting) {
    settings_.push_back(SettingChange{name, std::nullopt, s.is_local(), false});
    return;
  }
  if (s.kind() != pg_query::VAR_SET_VALUE) {
    fail("0A000", "tombstone: SET " + name + " FROM CURRENT is not supported");
    return;
  }
  std::string value = setting_value(name, s.args());
  if (auto err = validate_setting(name, value)) {
    fail("22023", *err);
    return;
  }
  settings_.push_back(SettingChange{name, value, s.is_local(), false});
}

void StatementRewriter::insert(pg_query::InsertStmt& s, const Scope* outer, bool top) {
  Scope scope{outer, {}};
  if (s.has_with_clause()) with_clause(*s.mutable_with_clause(), scope, top);
  Resolved target = resolve(s.relation(), nullptr);
  if (s.has_select_stmt()) statement(*s.mutable_select_stmt(), &scope, false, nullptr);
  if (s.has_on_conflict_clause()) {
    auto& oc = *s.mutable_on_conflict_clause();
    for (auto& t : *oc.mutable_target_list()) expr_node(t, &scope);
    if (oc.has_where_clause()) expr_node(*oc.mutable_where_clause(), &scope);
    // The unique index of a soft table is partial (live rows only): inference must name its
    // predicate or PostgreSQL finds no arbiter index.
    if (target.policy != nullptr && target.policy->strategy == Strategy::kSoft && oc.has_infer() &&
        oc.infer().index_elems_size() > 0) {
      tree::and_into(*oc.mutable_infer()->mutable_where_clause(),
                     tree::is_null(tree::column_ref({target.policy->column})));
      changed_ = true;
    }
    // A conflict can still be with a deleted row where a unique index is not partial (tombstone
    // check warns about those): DO UPDATE must not modify a row that, for this session, is gone.
    if (filter_ && target.policy != nullptr && target.policy->strategy == Strategy::kSoft &&
        oc.action() == pg_query::ONCONFLICT_UPDATE) {
      auto quals = qualifiers(s.relation(), target.relation);
      quals.push_back(target.policy->column);
      tree::and_into(*oc.mutable_where_clause(), tree::is_null(tree::column_ref(quals)));
      changed_ = true;
    }
  }
  for (auto& r : *s.mutable_returning_list()) expr_node(r, &scope);
}

void StatementRewriter::update(pg_query::UpdateStmt& s, const Scope* outer, bool top) {
  Scope scope{outer, {}};
  if (s.has_with_clause()) with_clause(*s.mutable_with_clause(), scope, top);
  Resolved target = resolve(s.relation(), nullptr);
  if (refuse_view_write(target, "UPDATE")) return;
  Level level;
  std::vector<PathStep> path;
  for (auto& item : *s.mutable_from_clause()) from_item(item, level, &scope, path);
  for (auto& t : *s.mutable_target_list()) expr_node(t, &scope);
  if (s.has_where_clause()) expr_node(*s.mutable_where_clause(), &scope);
  for (auto& r : *s.mutable_returning_list()) expr_node(r, &scope);
  bool current_of = s.where_clause().has_current_of_expr();
  apply(level, s.mutable_where_clause());
  if (filter_ && !current_of && target.policy != nullptr &&
      target.policy->strategy == Strategy::kSoft) {
    auto quals = qualifiers(s.relation(), target.relation);
    quals.push_back(target.policy->column);
    tree::and_into(*s.mutable_where_clause(), tree::is_null(tree::column_ref(quals)));
    changed_ = true;
  }
}

std::vector<Node> StatementRewriter::soft_set_targets(const TablePolicy& policy) {
  std::vector<Node> out;
  out.push_back(tree::res_target(policy.column, tree::now_expr()));
  if (policy.deleted_by) out.push_back(tree::res_target(*policy.deleted_by, tree::actor_expr()));
  if (policy.reason) out.push_back(tree::res_target(*policy.reason, tree::reason_expr()));
  return out;
}

void StatementRewriter::delete_(Node& node, const Scope* outer, bool top,
                                std::vector<Node>* hoist) {
  auto& d = *node.mutable_delete_stmt();
  Scope scope{outer, {}};
  if (d.has_with_clause()) with_clause(*d.mutable_with_clause(), scope, top);
  Resolved target = resolve(d.relation(), nullptr);
  if (refuse_view_write(target, "DELETE")) return;
  Level level;
  std::vector<PathStep> path;
  for (auto& item : *d.mutable_using_clause()) from_item(item, level, &scope, path);
  if (d.has_where_clause()) expr_node(*d.mutable_where_clause(), &scope);
  for (auto& r : *d.mutable_returning_list()) expr_node(r, &scope);
  apply(level, d.mutable_where_clause());
  if (target.policy == nullptr) return;
  record_delete(*target.policy);
  if (deleting_hard()) return;
  switch (target.policy->strategy) {
    case Strategy::kSoft:
      soft_delete(node, target, top);
      break;
    case Strategy::kArchive:
      moving_delete(node, target, top, hoist);
      break;
    case Strategy::kHard:
      if (target.policy->audit) moving_delete(node, target, top, hoist);
      break;
  }
}

std::optional<std::vector<StatementRewriter::OutputColumn>> StatementRewriter::item_columns(
    const Node& item) {
  using Columns = std::vector<OutputColumn>;
  const pg_query::RangeVar* rv = nullptr;
  if (item.has_range_var()) rv = &item.range_var();
  if (item.has_range_table_sample() && item.range_table_sample().relation().has_range_var()) {
    rv = &item.range_table_sample().relation().range_var();
  }
  if (rv != nullptr) {
    const Relation* rel = resolve(*rv, nullptr).relation;
    if (rel == nullptr) return std::nullopt;
    auto quals = qualifiers(*rv, rel);
    Columns out;
    for (std::size_t i = 0; i < rel->columns.size(); ++i) {
      std::string name = rel->columns[i].name;
      if (rv->has_alias() && static_cast<int>(i) < rv->alias().colnames_size() &&
          rv->alias().colnames(static_cast<int>(i)).has_string()) {
        name = rv->alias().colnames(static_cast<int>(i)).string().sval();
      }
      auto f = quals;
      f.push_back(name);
      out.push_back(OutputColumn{name, rel->columns[i].type, tree::column_ref(f)});
    }
    return out;
  }
  if (item.has_range_subselect() &&
      item.range_subselect().alias().aliasname().rfind("_tombstone_f", 0) == 0) {
    return Columns{};  // filter_in_place's zero-column item
  }
  if (!item.has_join_expr() || item.join_expr().has_alias()) return std::nullopt;
  // The output columns of an unaliased join, as PostgreSQL builds them: USING/NATURAL columns
  // first (left's for INNER/LEFT, right's for RIGHT, COALESCE for FULL), then each side's rest.
  const auto& j = item.join_expr();
  auto left = item_columns(j.larg());
  auto right = item_columns(j.rarg());
  if (!left || !right) return std::nullopt;
  std::vector<std::string> common;
  if (j.is_natural()) {
    for (const auto& l : *left) {
      for (const auto& r : *right) {
        if (l.name == r.name) common.push_back(l.name);
      }
    }
  } else {
    for (const auto& u : j.using_clause()) {
      if (!u.has_string()) return std::nullopt;
      common.push_back(u.string().sval());
    }
  }
  auto find_one = [](const Columns& cols, const std::string& name) -> const OutputColumn* {
    const OutputColumn* found = nullptr;
    for (const auto& c : cols) {
      if (c.name != name) continue;
      if (found != nullptr) return nullptr;  // ambiguous: PostgreSQL refuses it too
      found = &c;
    }
    return found;
  };
  Columns out;
  for (const auto& name : common) {
    const OutputColumn* l = find_one(*left, name);
    const OutputColumn* r = find_one(*right, name);
    if (l == nullptr || r == nullptr || l->type != r->type) return std::nullopt;
    Node expr;
    switch (j.jointype()) {
      case pg_query::JOIN_INNER:
      case pg_query::JOIN_LEFT:
        expr = l->expr;
        break;
      case pg_query::JOIN_RIGHT:
        expr = r->expr;
        break;
      case pg_query::JOIN_FULL: {
        auto* c = expr.mutable_coalesce_expr();
        *c->add_args() = l->expr;
        *c->add_args() = r->expr;
        break;
      }
      default:
        return std::nullopt;
    }
    out.push_back(OutputColumn{name, l->type, std::move(expr)});
  }
  auto is_common = [&](const std::string& name) {
    return std::find(common.begin(), common.end(), name) != common.end();
  };
  for (auto* side : {&*left, &*right}) {
    for (auto& c : *side) {
      if (!is_common(c.name)) out.push_back(std::move(c));
    }
  }
  return out;
}

bool StatementRewriter::expand_returning(const RepeatedPtrField<Node>& in, const Resolved& target,
                                         const std::vector<std::string>& quals,
                                         const RepeatedPtrField<Node>& using_items,
                                         bool null_managed, std::vector<Node>& out) {
  const TablePolicy& policy = *target.policy;
  std::vector<std::pair<std::string, pg_query::TypeName>> managed;
  if (null_managed) {
    std::vector<std::string> names{policy.column};
    if (policy.deleted_by) names.push_back(*policy.deleted_by);
    if (policy.reason) names.push_back(*policy.reason);
    for (const auto& n : names) {
      const Column* c = target.relation->find_column(n);
      if (c == nullptr) continue;  // the server reports the missing column on SET
      auto type = tree::type_name_for(c->type);
      if (!type) {
        fail("XX000", "tombstone: cannot build NULL of type " + c->type);
        return false;
      }
      managed.emplace_back(n, *type);
    }
  }
  auto target_columns = [&](std::vector<Node>& dst) {
    for (const auto& c : target.relation->columns) {
      auto it = std::find_if(managed.begin(), managed.end(),
                             [&](const auto& m) { return m.first == c.name; });
      if (it != managed.end()) {
        dst.push_back(tree::res_target(c.name, tree::null_of_type(it->second)));
      } else {
        auto f = quals;
        f.push_back(c.name);
        dst.push_back(tree::res_target("", tree::column_ref(f)));
      }
    }
  };
  // RETURNING t (the whole row): ROW(cols..., NULL::type for Tombstone's columns)::t, so the
  // composite shows the row as a hard DELETE would, at the top level and inside expressions.
  std::optional<Node> whole_row;
  if (!managed.empty() && !quals.empty() && target.relation->find_column(quals.back()) == nullptr) {
    Node row;
    auto* r = row.mutable_row_expr();
    r->set_row_format(pg_query::COERCE_EXPLICIT_CALL);
    for (const auto& c : target.relation->columns) {
      auto it = std::find_if(managed.begin(), managed.end(),
                             [&](const auto& m) { return m.first == c.name; });
      if (it != managed.end()) {
        *r->add_args() = tree::null_of_type(it->second);
      } else {
        auto f = quals;
        f.push_back(c.name);
        *r->add_args() = tree::column_ref(f);
      }
    }
    pg_query::TypeName type;
    *type.add_names() = tree::string_node(target.relation->name.schema);
    *type.add_names() = tree::string_node(target.relation->name.name);
    type.set_typemod(-1);
    Node cast;
    *cast.mutable_type_cast()->mutable_arg() = std::move(row);
    *cast.mutable_type_cast()->mutable_type_name() = std::move(type);
    whole_row = std::move(cast);
  }
  const Node* whole_row_ptr = whole_row ? &*whole_row : nullptr;
  FromHasColumn from_has = [this](const RepeatedPtrField<Node>& from,
                                  const std::string& name) -> std::optional<bool> {
    for (const auto& item : from) {
      auto cols = item_columns(item);
      if (!cols) return std::nullopt;
      for (const auto& c : *cols) {
        if (c.name == name) return true;
      }
    }
    return false;
  };
  for (const auto& item : in) {
    if (!item.has_res_target()) continue;
    const auto& rt = item.res_target();
    if (is_star(rt.val())) {
      auto prefix = ref_prefix(rt.val().column_ref());
      if (prefix.empty()) {
        target_columns(out);
        for (const auto& u : using_items) {
          std::size_t mark = out.size();
          if (star_items(u, out)) continue;
          out.erase(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
          auto cols = item_columns(u);
          if (!cols) {
            fail("0A000",
                 "tombstone: RETURNING * over this USING list cannot be rewritten; "
                 "list the columns");
            return false;
          }
          for (auto& c : *cols) out.push_back(tree::res_target(c.name, std::move(c.expr)));
        }
      } else if (same_ref(prefix, quals)) {
        target_columns(out);
      } else {
        out.push_back(item);
      }
      continue;
    }
    Node copy = item;
    auto& crt = *copy.mutable_res_target();
    const auto& val = crt.val();
    if (whole_row && val.has_column_ref() && val.column_ref().fields_size() == 1 &&
        val.column_ref().fields(0).has_string() &&
        val.column_ref().fields(0).string().sval() == quals.back()) {
      if (crt.name().empty()) crt.set_name(quals.back());
      *crt.mutable_val() = *whole_row;
      out.push_back(std::move(copy));
      continue;
    }
    if (!managed.empty()) {
      if (crt.name().empty() && crt.val().has_column_ref()) {
        std::string name = tree::figure_colname(crt.val());
        null_managed_columns(*crt.mutable_val(), quals, managed, whole_row_ptr, &from_has);
        if (!crt.val().has_column_ref()) crt.set_name(name);
      } else {
        null_managed_columns(*crt.mutable_val(), quals, managed, whole_row_ptr, &from_has);
      }
    }
    out.push_back(std::move(copy));
  }
  if (null_managed) return true;  // an UPDATE ... FROM keeps `u.*` as it is
  // The moving DELETE must name every output column: expand `u.*` of USING relations the
  // catalog snapshot knows (others stay `u.*`, which the caller refuses).
  std::vector<Node> expanded;
  for (auto& item : out) {
    const auto& val = item.res_target().val();
    const pg_query::RangeVar* source = nullptr;
    std::string refname;
    if (is_star(val)) {
      auto prefix = ref_prefix(val.column_ref());
      for (const auto& u : using_items) {
        if (u.has_range_var() && !prefix.empty() && item_refname(u) == prefix.back()) {
          source = &u.range_var();
          refname = prefix.back();
        }
      }
    }
    const Relation* rel = source != nullptr ? resolve(*source, nullptr).relation : nullptr;
    if (rel == nullptr) {
      expanded.push_back(std::move(item));
      continue;
    }
    for (const auto& c : rel->columns) {
      expanded.push_back(tree::res_target("", tree::column_ref({refname, c.name})));
    }
  }
  out = std::move(expanded);
  return true;
}

void StatementRewriter::soft_delete(Node& node, const Resolved& target, bool top) {
  pg_query::DeleteStmt d = std::move(*node.mutable_delete_stmt());
  const TablePolicy& policy = *target.policy;
  auto quals = qualifiers(d.relation(), target.relation);
  std::vector<Node> returning;
  if (!expand_returning(d.returning_list(), target, quals, d.using_clause(), true, returning)) {
    return;
  }
  pg_query::UpdateStmt u;
  *u.mutable_relation() = d.relation();
  for (auto& t : soft_set_targets(policy)) *u.add_target_list() = std::move(t);
  for (auto& item : *d.mutable_using_clause()) *u.add_from_clause() = std::move(item);
  bool current_of = d.where_clause().has_current_of_expr();
  Node where = std::move(*d.mutable_where_clause());
  if (!current_of) {
    // Already-deleted rows are left alone: their deleted_at (the batch key) must not move.
    auto f = quals;
    f.push_back(policy.column);
    tree::and_into(where, tree::is_null(tree::column_ref(f)));
  }
  *u.mutable_where_clause() = std::move(where);
  for (auto& r : returning) *u.add_returning_list() = std::move(r);
  if (d.has_with_clause()) *u.mutable_with_clause() = std::move(*d.mutable_with_clause());
  *node.mutable_update_stmt() = std::move(u);
  if (top) fixup_ = TagFixup::kDelete;
  changed_ = true;
}

void StatementRewriter::moving_delete(Node& node, const Resolved& target, bool top,
                                      std::vector<Node>* hoist) {
  const TablePolicy& policy = *target.policy;
  bool archive = policy.strategy == Strategy::kArchive;
  if (!top && hoist == nullptr) {
    fail("0A000", "tombstone: DELETE on " + policy.table.to_sql() +
                      " must be the statement itself or in its top-level WITH");
    return;
  }
  pg_query::DeleteStmt d = std::move(*node.mutable_delete_stmt());
  auto quals = qualifiers(d.relation(), target.relation);
  std::vector<Node> returning;
  if (!expand_returning(d.returning_list(), target, quals, d.using_clause(), false, returning)) {
    return;
  }
  // `x.*` the catalog cannot spell (a join alias, a subquery, an unmanaged table) travels as the
  // whole row `x` and is expanded again by `(_tombstone_rN).*` in the final SELECT: same columns,
  // names and order, duplicate names included.
  std::vector<bool> whole_rows(returning.size(), false);
  for (std::size_t i = 0; i < returning.size(); ++i) {
    auto& val = *returning[i].mutable_res_target()->mutable_val();
    if (!is_star(val)) continue;
    auto prefix = ref_prefix(val.column_ref());
    if (prefix.empty()) {
      fail("0A000", "tombstone: RETURNING of other tables' * in a DELETE on " +
                        policy.table.to_sql() + " cannot be rewritten; list the columns");
      return;
    }
    val = tree::column_ref({prefix.back()});
    whole_rows[i] = true;
  }
  // The DELETE returns what the mover needs (all columns for archive, the key for audit) plus
  // the client's RETURNING items under private names.
  d.clear_returning_list();
  std::vector<std::string> key_columns;
  if (archive) {
    for (const auto& c : target.relation->columns) {
      auto f = quals;
      f.push_back(c.name);
      *d.add_returning_list() = tree::res_target("", tree::column_ref(f));
    }
  } else {
    // The audit row key is jsonb_build_object('<pk column>', value, ...) over the primary key
    // (NULL for a table without one): enough to identify the row, never its data (GDPR Art. 17).
    std::vector<Node> args;
    for (const auto& c : target.relation->columns) {
      if (!c.primary_key) continue;
      auto f = quals;
      f.push_back(c.name);
      args.push_back(tree::string_const(c.name));
      args.push_back(tree::column_ref(f));
    }
    Node key;
    if (args.empty()) {
      auto jsonb = tree::type_name_for("jsonb");
      key = tree::null_of_type(*jsonb);
    } else {
      key = tree::func_call({"pg_catalog", "jsonb_build_object"}, std::move(args));
    }
    *d.add_returning_list() = tree::res_target(kKeyColumn, std::move(key));
  }
  std::vector<std::string> out_names;
  for (std::size_t i = 0; i < returning.size(); ++i) {
    const auto& rt = returning[i].res_target();
    out_names.push_back(rt.name().empty() ? tree::figure_colname(rt.val()) : rt.name());
    *d.add_returning_list() = tree::res_target(kReturnPrefix + std::to_string(i + 1), rt.val());
  }
  std::vector<Node> hoisted;
  bool recursive = false;
  if (d.has_with_clause()) {
    recursive = d.with_clause().recursive();
    for (auto& c : *d.mutable_with_clause()->mutable_ctes()) hoisted.push_back(std::move(c));
    d.clear_with_clause();
  }
  std::string deleted = unique_cte_name(kDeletedCte);
  Node delete_node;
  *delete_node.mutable_delete_stmt() = std::move(d);
  hoisted.push_back(tree::common_table_expr(deleted, std::move(delete_node)));

  // INSERT INTO <archive> (cols..., archived_at, archived_by) SELECT cols..., now(), actor
  // or INSERT INTO tombstone.deletion_log (table_name, row_key, actor, reason, deleted_at) ...
  Node insert_node;
  auto* ins = insert_node.mutable_insert_stmt();
  auto* sel = ins->mutable_select_stmt()->mutable_select_stmt();
  sel->set_limit_option(pg_query::LIMIT_OPTION_DEFAULT);
  sel->set_op(pg_query::SETOP_NONE);
  ins->set_override(pg_query::OVERRIDING_NOT_SET);
  if (archive) {
    *ins->mutable_relation() =
        tree::range_var(policy.archive.schema, policy.archive.name).range_var();
    for (const auto& c : target.relation->columns) {
      *ins->add_cols() = tree::res_target(c.name, Node());
      *sel->add_target_list() = tree::res_target("", tree::column_ref({c.name}));
    }
    *ins->add_cols() = tree::res_target("archived_at", Node());
    *ins->add_cols() = tree::res_target("archived_by", Node());
    *sel->add_target_list() = tree::res_target("", tree::now_expr());
    *sel->add_target_list() = tree::res_target("", tree::actor_expr());
  } else {
    *ins->mutable_relation() = tree::range_var("tombstone", "deletion_log").range_var();
    for (const char* c : {"table_name", "row_key", "actor", "reason", "deleted_at"}) {
      *ins->add_cols() = tree::res_target(c, Node());
    }
    *sel->add_target_list() = tree::res_target("", tree::string_const(policy.table.to_sql()));
    *sel->add_target_list() = tree::res_target("", tree::column_ref({kKeyColumn}));
    *sel->add_target_list() = tree::res_target("", tree::actor_expr());
    *sel->add_target_list() = tree::res_target("", tree::reason_expr());
    *sel->add_target_list() = tree::res_target("", tree::now_expr());
  }
  *sel->add_from_clause() = tree::range_var("", deleted);
  for (auto& c : *ins->mutable_cols()) c.mutable_res_target()->clear_val();

  Node result;
  if (returning.empty()) {
    result = std::move(insert_node);
  } else {
    hoisted.push_back(tree::common_table_expr(unique_cte_name(kMovedCte), std::move(insert_node)));
    auto* final_select = result.mutable_select_stmt();
    final_select->set_limit_option(pg_query::LIMIT_OPTION_DEFAULT);
    final_select->set_op(pg_query::SETOP_NONE);
    for (std::size_t i = 0; i < out_names.size(); ++i) {
      Node ref = tree::column_ref({kReturnPrefix + std::to_string(i + 1)});
      if (whole_rows[i]) {
        Node expand;
        auto* ind = expand.mutable_a_indirection();
        *ind->mutable_arg() = std::move(ref);
        ind->add_indirection()->mutable_a_star();
        *final_select->add_target_list() = tree::res_target("", std::move(expand));
        continue;
      }
      *final_select->add_target_list() = tree::res_target(out_names[i], std::move(ref));
    }
    *final_select->add_from_clause() = tree::range_var("", deleted);
  }
  if (top) {
    pg_query::WithClause with;
    with.set_recursive(recursive);
    for (auto& h : hoisted) *with.add_ctes() = std::move(h);
    if (result.has_insert_stmt())
      *result.mutable_insert_stmt()->mutable_with_clause() = std::move(with);
    else
      *result.mutable_select_stmt()->mutable_with_clause() = std::move(with);
    fixup_ = TagFixup::kDelete;
  } else {
    for (auto& h : hoisted) hoist->push_back(std::move(h));
  }
  node = std::move(result);
  changed_ = true;
}

void StatementRewriter::merge(pg_query::MergeStmt& s, const Scope* outer, bool top) {
  Scope scope{outer, {}};
  if (s.has_with_clause()) with_clause(*s.mutable_with_clause(), scope, top);
  Resolved target = resolve(s.relation(), nullptr);
  if (refuse_view_write(target, "MERGE")) return;
  Level level;
  std::vector<PathStep> path;
  if (s.has_source_relation()) from_item(*s.mutable_source_relation(), level, &scope, path);
  if (s.has_join_condition()) expr_node(*s.mutable_join_condition(), &scope);
  for (auto& w : *s.mutable_merge_when_clauses()) expr_node(w, &scope);
  // MERGE has no WHERE: a condition in ON would turn deleted source rows into NOT MATCHED ones,
  // so soft source tables are wrapped in a filtering subquery.
  apply(level, nullptr);
  if (target.policy == nullptr) return;
  const TablePolicy& policy = *target.policy;
  auto quals = qualifiers(s.relation(), target.relation);
  quals.push_back(policy.column);
  if (policy.strategy == Strategy::kSoft && filter_) {
    tree::and_into(*s.mutable_join_condition(), tree::is_null(tree::column_ref(quals)));
    changed_ = true;
  }
  for (const auto& w : s.merge_when_clauses()) {
    if (w.merge_when_clause().command_type() == pg_query::CMD_DELETE) {
      record_delete(policy);
      break;
    }
  }
  if (deleting_hard()) return;
  for (auto& w : *s.mutable_merge_when_clauses()) {
    auto& clause = *w.mutable_merge_when_clause();
    if (clause.command_type() != pg_query::CMD_DELETE) continue;
    if (policy.strategy == Strategy::kArchive ||
        (policy.strategy == Strategy::kHard && policy.audit)) {
      fail("0A000", "tombstone: MERGE ... THEN DELETE on " + policy.table.to_sql() + " (strategy " +
                        (policy.strategy == Strategy::kArchive ? "archive" : "hard with audit") +
                        ") is not supported; use DELETE");
      return;
    }
    if (policy.strategy != Strategy::kSoft) continue;
    clause.set_command_type(pg_query::CMD_UPDATE);
    for (auto& t : soft_set_targets(policy)) *clause.add_target_list() = std::move(t);
    if (!filter_)
      tree::and_into(*clause.mutable_condition(), tree::is_null(tree::column_ref(quals)));
    changed_ = true;
  }
}

// Built-ins that read tables inside the server, named in their string arguments (or all tables
// of a schema/database), where no predicate can be added: for a filtering session they would
// return deleted rows. Refused when an argument names a managed table or is not a constant.
bool StatementRewriter::refuse_sql_running_function(const pg_query::FuncCall& f) {
  const auto& name = f.funcname();
  if (name.size() == 2 &&
      (!name[0].has_string() || lower(name[0].string().sval()) != "pg_catalog")) {
    return false;  // someone's own schema.function
  }
  const std::string fn = lower(name[name.size() - 1].string().sval());
  static constexpr std::string_view kReadsNamed[] = {
      "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
      "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema"};
  static constexpr std::string_view kReadsAll[] = {
      "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
      "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema"};
  bool refuse = std::ranges::find(kReadsAll, fn) != std::ranges::end(kReadsAll);
  const bool reads_named = std::ranges::find(kReadsNamed, fn) != std::ranges::end(kReadsNamed);
  literal_sensitive_ = literal_sensitive_ || reads_named;
  if (!refuse && reads_named && f.args_size() > 0) {
    const pg_query::Node* a0 = &f.args(0);
    if (a0->has_type_cast()) a0 = &a0->type_cast().arg();  // 'users'::regclass
    refuse = !a0->has_a_const() || !a0->a_const().has_sval() ||
             managed_table_named_in(a0->a_const().sval().sval(), config_).has_value();
  }
  if (!refuse) return false;
  fail("0A000",
       "tombstone: " + fn + "() reads tables inside the server, where Tombstone cannot hide "
       "deleted rows; refused",
       "Query the table itself (Tombstone filters it), or use an admin session.");
  return true;
}

// The server rejects these COPY options without a value; libpg_query's deparser dereferences the
// missing value, so a COPY Tombstone rewrites must never carry one to it.
bool StatementRewriter::refuse_valueless_copy_options(pg_query::CopyStmt& s) {
  for (auto& o : *s.mutable_options()) {
    if (!o.has_def_elem() || !copy_option_needs_value(o.def_elem().defname())) continue;
    auto& def = *o.mutable_def_elem();
    const bool takes_string = copy_option_takes_string(def.defname());
    // PostgreSQL reads a number as its text (DELIMITER 5); libpg_query's deparser expects a
    // string node and crashes on anything else (found by review), so numbers become strings.
    if (takes_string && def.has_arg() && def.arg().has_integer()) {
      const std::string text = std::to_string(def.arg().integer().ival());
      def.mutable_arg()->mutable_string()->set_sval(text);
    } else if (takes_string && def.has_arg() && def.arg().has_float_()) {
      const std::string text = def.arg().float_().fval();
      def.mutable_arg()->mutable_string()->set_sval(text);
    }
    if (def.has_arg() && (!takes_string || def.arg().has_string())) continue;
    fail("42601",
         "tombstone: COPY option \"" + def.defname() + "\" requires " +
             (def.has_arg() ? "a string value" : "a value"),
         "Give the option a value, e.g. (FORMAT csv).");
    return true;
  }
  return false;
}

void StatementRewriter::copy(pg_query::CopyStmt& s) {
  if (s.has_query()) {
    TagFixup saved = fixup_;  // the tag is COPY n whatever the query becomes
    statement(*s.mutable_query(), nullptr, true, nullptr);
    fixup_ = saved;
    if (changed_) refuse_valueless_copy_options(s);
    return;
  }
  if (s.is_from() || !s.has_relation() || !filter_) return;
  Resolved target = resolve(s.relation(), nullptr);
  if (target.policy == nullptr || target.policy->strategy != Strategy::kSoft) return;
  if (refuse_valueless_copy_options(s)) return;
  // COPY t TO copies t alone (not its children): ONLY keeps that.
  Node query;
  auto* sel = query.mutable_select_stmt();
  sel->set_limit_option(pg_query::LIMIT_OPTION_DEFAULT);
  sel->set_op(pg_query::SETOP_NONE);
  if (s.attlist_size() == 0) {
    *sel->add_target_list() = tree::res_target("", tree::star_ref({}));
  } else {
    for (const auto& a : s.attlist()) {
      if (a.has_string()) {
        *sel->add_target_list() = tree::res_target("", tree::column_ref({a.string().sval()}));
      }
    }
  }
  pg_query::RangeVar rv = s.relation();
  rv.set_inh(false);
  *sel->add_from_clause()->mutable_range_var() = std::move(rv);
  *sel->mutable_where_clause() = tree::is_null(tree::column_ref({target.policy->column}));
  s.clear_relation();
  s.clear_attlist();
  *s.mutable_query() = std::move(query);
  changed_ = true;
}

void StatementRewriter::truncate(Node& node) {
  const auto& t = node.truncate_stmt();
  std::vector<std::pair<pg_query::RangeVar, Resolved>> managed;
  bool unmanaged = false;
  for (const auto& r : t.relations()) {
    if (!r.has_range_var()) continue;
    Resolved res = resolve(r.range_var(), nullptr);
    if (res.policy != nullptr)
      managed.emplace_back(r.range_var(), res);
    else
      unmanaged = true;
  }
  for (const auto& m : managed) record_delete(*m.second.policy);
  if (managed.empty() || deleting_hard()) return;
  bool all_plain_hard = std::all_of(managed.begin(), managed.end(), [](const auto& m) {
    return m.second.policy->strategy == Strategy::kHard && !m.second.policy->audit;
  });
  if (all_plain_hard) return;
  std::string name = managed.front().second.policy->table.to_sql();
  if (unmanaged) {
    fail("0A000", "tombstone: TRUNCATE mixing managed table " + name +
                      " with unmanaged tables is not supported; truncate them separately");
    return;
  }
  if (t.behavior() == pg_query::DROP_CASCADE) {
    fail("0A000", "tombstone: TRUNCATE ... CASCADE of managed table " + name + " is not supported",
         "Delete the referencing rows explicitly so each table follows its strategy.");
    return;
  }
  if (t.restart_seqs()) {
    fail("0A000", "tombstone: TRUNCATE ... RESTART IDENTITY of managed table " + name +
                      " is not supported: its rows are kept");
    return;
  }
  // Each table follows its strategy, expressed as the DELETE Tombstone would rewrite. The last
  // table's statement is the main one and the others are CTEs: a data-modifying statement, so the
  // client gets a command tag and no rows, as from TRUNCATE.
  std::vector<Node> ctes;
  Node result;
  for (std::size_t i = 0; i < managed.size(); ++i) {
    auto& [rv, res] = managed[i];
    Node del;
    auto* d = del.mutable_delete_stmt();
    *d->mutable_relation() = rv;
    d->mutable_relation()->clear_alias();
    if (res.policy->strategy == Strategy::kSoft) {
      soft_delete(del, res, false);
    } else if (res.policy->strategy == Strategy::kArchive || res.policy->audit) {
      std::vector<Node> hoisted;
      moving_delete(del, res, false, &hoisted);
      for (auto& h : hoisted) ctes.push_back(std::move(h));
    }
    if (i + 1 < managed.size()) {
      ctes.push_back(
          tree::common_table_expr(unique_cte_name("_tombstone_truncated"), std::move(del)));
    } else {
      result = std::move(del);
    }
  }
  if (error_) return;
  if (!ctes.empty()) {
    pg_query::WithClause* with =
        result.has_update_stmt()   ? result.mutable_update_stmt()->mutable_with_clause()
        : result.has_insert_stmt() ? result.mutable_insert_stmt()->mutable_with_clause()
                                   : result.mutable_delete_stmt()->mutable_with_clause();
    for (auto& c : ctes) *with->add_ctes() = std::move(c);
  }
  node = std::move(result);
  fixup_ = TagFixup::kTruncate;
  changed_ = true;
}

}  // namespace tombstone::parser
