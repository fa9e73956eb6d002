#include "parser/tree_build.h"

#include <unordered_map>

#include "parser/pg_tree.h"

namespace tombstone::parser::tree {

Node string_node(std::string_view s) {
  Node n;
  n.mutable_string()->set_sval(std::string(s));
  return n;
}

Node column_ref(const std::vector<std::string>& fields) {
  Node n;
  auto* ref = n.mutable_column_ref();
  for (const auto& f : fields) *ref->add_fields() = string_node(f);
  return n;
}

Node star_ref(const std::vector<std::string>& qualifiers) {
  Node n;
  auto* ref = n.mutable_column_ref();
  for (const auto& f : qualifiers) *ref->add_fields() = string_node(f);
  ref->add_fields()->mutable_a_star();
  return n;
}

Node is_null(Node arg) {
  Node n;
  auto* t = n.mutable_null_test();
  *t->mutable_arg() = std::move(arg);
  t->set_nulltesttype(pg_query::IS_NULL);
  return n;
}

Node null_of_type(const pg_query::TypeName& type) {
  Node n;
  auto* cast = n.mutable_type_cast();
  cast->mutable_arg()->mutable_a_const()->set_isnull(true);
  *cast->mutable_type_name() = type;
  return n;
}

Node string_const(std::string_view s) {
  Node n;
  n.mutable_a_const()->mutable_sval()->set_sval(std::string(s));
  return n;
}

Node func_call(const std::vector<std::string>& name, std::vector<Node> args) {
  Node n;
  auto* f = n.mutable_func_call();
  for (const auto& part : name) *f->add_funcname() = string_node(part);
  for (auto& a : args) *f->add_args() = std::move(a);
  f->set_funcformat(pg_query::COERCE_EXPLICIT_CALL);
  return n;
}

Node res_target(std::string_view name, Node val) {
  Node n;
  auto* t = n.mutable_res_target();
  t->set_name(std::string(name));
  *t->mutable_val() = std::move(val);
  return n;
}

Node range_var(std::string_view schema, std::string_view relname) {
  Node n;
  auto* r = n.mutable_range_var();
  r->set_schemaname(std::string(schema));
  r->set_relname(std::string(relname));
  r->set_inh(true);
  r->set_relpersistence("p");
  return n;
}

Node common_table_expr(std::string_view name, Node query) {
  Node n;
  auto* c = n.mutable_common_table_expr();
  c->set_ctename(std::string(name));
  c->set_ctematerialized(pg_query::CTEMaterializeDefault);
  *c->mutable_ctequery() = std::move(query);
  return n;
}

void and_into(Node& slot, Node pred) {
  if (slot.node_case() == Node::NODE_NOT_SET) {
    slot = std::move(pred);
    return;
  }
  if (slot.has_bool_expr() && slot.bool_expr().boolop() == pg_query::AND_EXPR) {
    *slot.mutable_bool_expr()->add_args() = std::move(pred);
    return;
  }
  Node both;
  auto* b = both.mutable_bool_expr();
  b->set_boolop(pg_query::AND_EXPR);
  *b->add_args() = std::move(slot);
  *b->add_args() = std::move(pred);
  slot = std::move(both);
}

namespace {

// Returns the strength PostgreSQL's FigureColnameInternal() gives: 2 = a real name, 1 = a
// fallback ("case", a type name), 0 = none ("?column?").
int figure(const Node& n, std::string& name) {
  switch (n.node_case()) {
    case Node::kColumnRef: {
      const auto& fields = n.column_ref().fields();
      for (int i = fields.size() - 1; i >= 0; --i) {
        if (fields[i].has_string()) {
          name = fields[i].string().sval();
          return 2;
        }
      }
      return 0;
    }
    case Node::kAIndirection: {
      const auto& ind = n.a_indirection().indirection();
      for (int i = ind.size() - 1; i >= 0; --i) {
        if (ind[i].has_string()) {
          name = ind[i].string().sval();
          return 2;
        }
      }
      return figure(n.a_indirection().arg(), name);
    }
    case Node::kFuncCall: {
      const auto& fn = n.func_call().funcname();
      if (fn.empty() || !fn[fn.size() - 1].has_string()) return 0;
      name = fn[fn.size() - 1].string().sval();
      return 2;
    }
    case Node::kAExpr:
      if (n.a_expr().kind() == pg_query::AEXPR_NULLIF) {
        name = "nullif";
        return 2;
      }
      return 0;
    case Node::kTypeCast: {
      int strength = figure(n.type_cast().arg(), name);
      if (strength <= 1) {
        const auto& names = n.type_cast().type_name().names();
        if (!names.empty() && names[names.size() - 1].has_string()) {
          name = names[names.size() - 1].string().sval();
          return 1;
        }
      }
      return strength;
    }
    case Node::kCollateClause:
      return figure(n.collate_clause().arg(), name);
    case Node::kSubLink: {
      const auto& s = n.sub_link();
      switch (s.sub_link_type()) {
        case pg_query::EXISTS_SUBLINK:
          name = "exists";
          return 2;
        case pg_query::ARRAY_SUBLINK:
          name = "array";
          return 2;
        case pg_query::EXPR_SUBLINK:
          if (s.subselect().has_select_stmt()) {
            const auto& tl = s.subselect().select_stmt().target_list();
            if (!tl.empty() && tl[0].has_res_target()) {
              const auto& rt = tl[0].res_target();
              if (!rt.name().empty()) {
                name = rt.name();
                return 2;
              }
              return figure(rt.val(), name);
            }
          }
          return 0;
        default:
          return 0;
      }
    }
    case Node::kCaseExpr: {
      int strength = n.case_expr().has_defresult() ? figure(n.case_expr().defresult(), name) : 0;
      if (strength <= 1) {
        name = "case";
        return 1;
      }
      return strength;
    }
    case Node::kAArrayExpr:
      name = "array";
      return 2;
    case Node::kRowExpr:
      name = "row";
      return 2;
    case Node::kCoalesceExpr:
      name = "coalesce";
      return 2;
    case Node::kMinMaxExpr:
      name = n.min_max_expr().op() == pg_query::IS_GREATEST ? "greatest" : "least";
      return 2;
    case Node::kSqlvalueFunction: {
      switch (n.sqlvalue_function().op()) {
        case pg_query::SVFOP_CURRENT_DATE:
          name = "current_date";
          break;
        case pg_query::SVFOP_CURRENT_TIME:
        case pg_query::SVFOP_CURRENT_TIME_N:
          name = "current_time";
          break;
        case pg_query::SVFOP_CURRENT_TIMESTAMP:
        case pg_query::SVFOP_CURRENT_TIMESTAMP_N:
          name = "current_timestamp";
          break;
        case pg_query::SVFOP_LOCALTIME:
        case pg_query::SVFOP_LOCALTIME_N:
          name = "localtime";
          break;
        case pg_query::SVFOP_LOCALTIMESTAMP:
        case pg_query::SVFOP_LOCALTIMESTAMP_N:
          name = "localtimestamp";
          break;
        case pg_query::SVFOP_CURRENT_ROLE:
          name = "current_role";
          break;
        case pg_query::SVFOP_CURRENT_USER:
          name = "current_user";
          break;
        case pg_query::SVFOP_USER:
          name = "user";
          break;
        case pg_query::SVFOP_SESSION_USER:
          name = "session_user";
          break;
        case pg_query::SVFOP_CURRENT_CATALOG:
          name = "current_catalog";
          break;
        case pg_query::SVFOP_CURRENT_SCHEMA:
          name = "current_schema";
          break;
        default:
          return 0;
      }
      return 2;
    }
    case Node::kGroupingFunc:
      name = "grouping";
      return 2;
    default:
      return 0;
  }
}

struct Templates {
  Node now;
  Node actor;
  Node reason;
};

const Templates& templates() {
  thread_local const Templates t = [] {
    auto tree = parse_sql(
        "SELECT pg_catalog.now(), coalesce(nullif(pg_catalog.current_setting('tombstone.actor', "
        "true), ''), session_user), pg_catalog.current_setting('tombstone.reason', true)");
    Templates out;
    if (tree && tree->stmts_size() == 1) {
      const auto& tl = tree->stmts(0).stmt().select_stmt().target_list();
      out.now = tl[0].res_target().val();
      out.actor = tl[1].res_target().val();
      out.reason = tl[2].res_target().val();
      clear_locations(out.now);
      clear_locations(out.actor);
      clear_locations(out.reason);
    }
    return out;
  }();
  return t;
}

}  // namespace

std::string figure_colname(const Node& expr) {
  std::string name;
  if (figure(expr, name) > 0) return name;
  return "?column?";
}

std::optional<pg_query::TypeName> type_name_for(const std::string& type) {
  thread_local std::unordered_map<std::string, std::optional<pg_query::TypeName>> cache;
  if (auto it = cache.find(type); it != cache.end()) return it->second;
  std::optional<pg_query::TypeName> result;
  auto tree = parse_sql("SELECT NULL::" + type);
  if (tree && tree->stmts_size() == 1) {
    const auto& tl = tree->stmts(0).stmt().select_stmt().target_list();
    if (tl.size() == 1 && tl[0].res_target().val().has_type_cast()) {
      result = tl[0].res_target().val().type_cast().type_name();
      clear_locations(*result);
    }
  }
  if (cache.size() > 1024) cache.clear();  // bounded: types are few in practice
  cache.emplace(type, result);
  return result;
}

const Node& now_expr() { return templates().now; }
const Node& actor_expr() { return templates().actor; }
const Node& reason_expr() { return templates().reason; }

}  // namespace tombstone::parser::tree
