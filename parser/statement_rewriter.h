// Rewrites ONE parsed statement tree in place per DESIGN §2-§4: DELETE per strategy, active-row
// predicates for every reference to a soft table at every query level, setting detection and
// refusals. Internal to tombstone_parser; rewrite() in rewriter.h drives it per statement.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "parser/catalog.h"
#include "parser/rewriter.h"
#include "pg_query.pb.h"

namespace tombstone::parser {

class StatementRewriter {
 public:
  StatementRewriter(const config::Config& config, const Catalog& catalog,
                    const SessionState& session);

  // Rewrites `stmt` (a RawStmt's stmt) in place and fills fixup/settings/ddl/prepared/error of
  // `out`. Returns whether the tree changed.
  bool run(pg_query::Node& stmt, StatementRewrite& out);

  // Whether the statement used a construct libpg_query's deparser is known to get wrong
  // (DESIGN §9): then the caller verifies the deparser on the original before sending.
  bool risky() const { return risky_; }

 private:
  struct Scope {
    const Scope* parent = nullptr;
    std::vector<std::string> names;  // CTE names visible at this level
    bool has(const std::string& name) const;
  };
  struct Resolved {
    const config::TablePolicy* policy = nullptr;
    const Relation* relation = nullptr;
    // A view named like a managed table (e.g. evil.users over public.users, first in a
    // search_path): reads are filtered through its marker column if it has one; writes through
    // it are refused, since an auto-updatable view would DELETE from the table on the server.
    const config::TablePolicy* view_of = nullptr;
  };
  struct PathStep {
    pg_query::JoinExpr* join = nullptr;
    bool right = false;  // the reference lies in the join's right argument
  };
  struct Ref {
    pg_query::Node* node = nullptr;  // FROM item holding the reference (RangeVar or sample)
    const pg_query::RangeVar* range_var = nullptr;
    Resolved target;
    std::vector<PathStep> path;  // outermost join first
  };
  struct Level {
    std::vector<Ref> refs;
  };

  void statement(pg_query::Node& node, const Scope* scope, bool top,
                 std::vector<pg_query::Node>* hoist);
  void select(pg_query::SelectStmt& s, const Scope* outer, bool top);
  void with_clause(pg_query::WithClause& with, Scope& scope, bool top);
  void insert(pg_query::InsertStmt& s, const Scope* outer, bool top);
  void update(pg_query::UpdateStmt& s, const Scope* outer, bool top);
  void delete_(pg_query::Node& node, const Scope* outer, bool top,
               std::vector<pg_query::Node>* hoist);
  void merge(pg_query::MergeStmt& s, const Scope* outer, bool top);
  void copy(pg_query::CopyStmt& s);
  void truncate(pg_query::Node& node);
  void variable_set(const pg_query::VariableSetStmt& s, bool in_alter);

  void from_item(pg_query::Node& item, Level& level, const Scope* scope,
                 std::vector<PathStep>& path);
  void expr(google::protobuf::Message& m, const Scope* scope);
  void expr_node(pg_query::Node& n, const Scope* scope);
  void func_call(const pg_query::FuncCall& f);
  // Places the predicates of a level (DESIGN §3); `where` nullptr: the level has no WHERE
  // (MERGE source), so every reference is wrapped in a filtering subquery.
  void apply(Level& level, pg_query::Node* where);
  void wrap(Ref& ref);
  // Where no predicate can be placed (nullable side of USING/NATURAL, inside an aliased join):
  // `(t r JOIN (SELECT) _tombstone_fN ON r.col IS NULL)`, keeping r the table itself.
  void filter_in_place(Ref& ref);

  // Turns the DELETE in `node` into the strategy's statement (soft/archive/audit).
  void soft_delete(pg_query::Node& node, const Resolved& target, bool top);
  void moving_delete(pg_query::Node& node, const Resolved& target, bool top,
                     std::vector<pg_query::Node>* hoist);
  // One output column of a FROM item: its name, its type (format_type) and how to spell it.
  struct OutputColumn {
    std::string name;
    std::string type;
    pg_query::Node expr;
  };
  // The columns `*` shows for a USING item, in order, when the catalog knows every table in it
  // (merged USING/NATURAL columns spelled out); nullopt when they cannot be named.
  std::optional<std::vector<OutputColumn>> item_columns(const pg_query::Node& item);
  bool expand_returning(const google::protobuf::RepeatedPtrField<pg_query::Node>& in,
                        const Resolved& target, const std::vector<std::string>& quals,
                        const google::protobuf::RepeatedPtrField<pg_query::Node>& using_items,
                        bool null_managed, std::vector<pg_query::Node>& out);
  std::vector<pg_query::Node> soft_set_targets(const config::TablePolicy& policy);

  Resolved resolve(const pg_query::RangeVar& rv, const Scope* scope);
  Resolved lookup(const config::QualifiedName& name);
  std::vector<std::string> qualifiers(const pg_query::RangeVar& rv, const Relation* relation) const;
  std::string marker_name(const pg_query::RangeVar& rv, const Ref& ref) const;
  std::string unique_cte_name(const std::string& base);
  void fail(std::string sqlstate, std::string message, std::string hint = {});
  bool refuse_valueless_copy_options(pg_query::CopyStmt& s);
  bool refuse_sql_running_function(const pg_query::FuncCall& f);
  bool deleting_hard() const;
  bool refuse_view_write(const Resolved& target, const char* what);
  // The policy that filters reads of `r`: its own, or that of the table a same-named view shows.
  Resolved read_filter(const Resolved& r) const;
  void record_delete(const config::TablePolicy& policy);

  const config::Config& config_;
  const Catalog& catalog_;
  const SessionState& session_;
  bool filter_;  // add active-row predicates to reads (not for admin sessions seeing all)
  std::vector<std::string> path_;  // effective search_path: pg_temp, pg_catalog, then entries
  bool changed_ = false;
  bool risky_ = false;
  bool literal_sensitive_ = false;  // see StatementRewrite::literal_sensitive
  TagFixup fixup_ = TagFixup::kNone;
  std::vector<SettingChange> settings_;
  bool in_prepare_ = false;  // PREPARE's body deletes when EXECUTEd, not now
  std::optional<RewriteError> error_;
  std::vector<DeleteTarget> deletes_;
  int cte_counter_ = 0;
  int filter_counter_ = 0;  // numbers filter_in_place()'s `(SELECT) _tombstone_fN`
};

}  // namespace tombstone::parser
