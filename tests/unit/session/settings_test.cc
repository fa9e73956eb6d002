// Session settings with PostgreSQL's semantics: SET / SET LOCAL / RESET, transaction end,
// rollback, errors in implicit transactions, startup options — both the tracker alone and the
// session feeding it from the wire.
#include "proxy/session/settings.h"

#include <gtest/gtest.h>

#include "tests/unit/session/session_test_support.h"

namespace tombstone::session::testing {
namespace {

parser::SettingChange set(std::string name, std::string value, bool local = false) {
  return {std::move(name), std::move(value), local, false};
}

std::vector<std::string> path(std::initializer_list<std::string> entries) { return entries; }

TEST(StartupOptions, SplitsLikePostgres) {
  auto opts = parse_startup_options(
      "-c search_path=a,b --tombstone.visibility=all -csome.x=1 "
      "-c application_name=my\\ app -v");
  ASSERT_EQ(opts.size(), 4u);
  EXPECT_EQ(opts[0], (std::pair<std::string, std::string>{"search_path", "a,b"}));
  EXPECT_EQ(opts[1], (std::pair<std::string, std::string>{"tombstone.visibility", "all"}));
  EXPECT_EQ(opts[2], (std::pair<std::string, std::string>{"some.x", "1"}));
  EXPECT_EQ(opts[3], (std::pair<std::string, std::string>{"application_name", "my app"}));
}

TEST(SettingsTracker, SetOutsideTransactionPersists) {
  SettingsTracker t;
  t.set_startup({});
  t.apply(set("search_path", "app, public"));
  t.on_command_tag("SET");
  t.on_ready('I');
  EXPECT_EQ(t.current().search_path, path({"app", "public"}));
}

TEST(SettingsTracker, SetLocalIsRevertedAtCommit) {
  SettingsTracker t;
  t.set_startup({});
  t.on_command_tag("BEGIN");
  t.on_ready('T');
  t.apply(set("search_path", "tmp", true));
  EXPECT_EQ(t.current().search_path, path({"tmp"}));
  t.on_command_tag("COMMIT");
  t.on_ready('I');
  EXPECT_EQ(t.current().search_path, path({"\"$user\"", "public"}));
}

TEST(SettingsTracker, SetInRolledBackTransactionIsDiscarded) {
  SettingsTracker t;
  t.set_startup({});
  t.on_command_tag("BEGIN");
  t.apply(set("search_path", "x"));
  t.on_ready('T');
  EXPECT_EQ(t.current().search_path, path({"x"}));
  t.on_command_tag("ROLLBACK");
  t.on_ready('I');
  EXPECT_EQ(t.current().search_path, path({"\"$user\"", "public"}));
}

TEST(SettingsTracker, SetThenSetLocalCommitsTheSessionValue) {
  SettingsTracker t;
  t.set_startup({});
  t.on_command_tag("BEGIN");
  t.apply(set("search_path", "a"));
  t.apply(set("search_path", "b", true));
  EXPECT_EQ(t.current().search_path, path({"b"}));
  t.on_command_tag("COMMIT");
  EXPECT_EQ(t.current().search_path, path({"a"}));
}

TEST(SettingsTracker, ErrorInImplicitTransactionDiscardsEarlierSets) {
  SettingsTracker t;
  t.set_startup({});
  t.apply(set("search_path", "a"));  // first statement of "SET ...; SELECT 1/0"
  t.on_error();
  t.on_ready('I');
  EXPECT_EQ(t.current().search_path, path({"\"$user\"", "public"}));
}

TEST(SettingsTracker, ResetReturnsToTheStartupValue) {
  SettingsTracker t;
  TrackedSettings startup;
  startup.search_path = {"app"};
  t.set_startup(startup);
  t.apply(set("search_path", "other"));
  t.on_ready('I');
  t.apply({"search_path", std::nullopt, false, false});
  t.on_ready('I');
  EXPECT_EQ(t.current().search_path, path({"app"}));
  t.apply(set("search_path", "x"));
  t.apply({"", std::nullopt, false, true});  // RESET ALL
  EXPECT_EQ(t.current().search_path, path({"app"}));
}

TEST(SettingsTracker, VersionMovesOnlyOnChange) {
  SettingsTracker t;
  t.set_startup({});
  const auto v = t.version();
  for (int i = 0; i < 10; ++i) t.on_ready('I');
  EXPECT_EQ(t.version(), v);
  t.apply(set("tombstone.actor", "user:42"));
  EXPECT_NE(t.version(), v);
  EXPECT_EQ(t.current().actor, std::optional<std::string>("user:42"));
}

TEST(SettingsTracker, RollbackToSavepointRestoresTheSavepointsValue) {
  SettingsTracker t;
  t.set_startup({});
  t.on_command_tag("BEGIN");
  t.apply(set("search_path", "a"));
  t.on_command_tag("SAVEPOINT");
  t.apply(set("search_path", "b"));
  t.rollback_to_savepoint();
  EXPECT_EQ(t.current().search_path, path({"a"}));
  t.on_command_tag("COMMIT");
  EXPECT_EQ(t.current().search_path, path({"a"}));
}

TEST(SessionSettings, RollbackToSavepointOnTheWire) {
  Harness h(users_config());
  h.connect();
  h.client(bytes_of(wire::Query{"BEGIN"}));
  h.server(bytes_of(wire::CommandComplete{"BEGIN"}) + bytes_of(wire::ReadyForQuery{'T'}));
  for (const char* sql : {"SET search_path = a", "SAVEPOINT s", "SET LOCAL search_path = b",
                          "ROLLBACK TO SAVEPOINT s"}) {
    h.client(bytes_of(wire::Query{sql}));
    std::string tag = sql;
    tag = tag.substr(0, tag.find(' '));
    h.server(bytes_of(wire::CommandComplete{tag}) + bytes_of(wire::ReadyForQuery{'T'}));
  }
  EXPECT_EQ(h.session->state().search_path, path({"a"}));
  h.client(bytes_of(wire::Query{"COMMIT"}));
  h.server(bytes_of(wire::CommandComplete{"COMMIT"}) + bytes_of(wire::ReadyForQuery{'I'}));
  EXPECT_EQ(h.session->state().search_path, path({"a"}));
}

TEST(SessionSettings, SearchPathFromStartupOptionsAndParams) {
  Harness h(users_config());
  h.connect({{"user", "alice"}, {"options", "-c search_path=app,public"}});
  EXPECT_EQ(h.session->state().search_path, path({"app", "public"}));
  Harness p(users_config());
  p.connect({{"user", "alice"}, {"options", "-c search_path=app"}, {"search_path", "b"}});
  EXPECT_EQ(p.session->state().search_path, path({"b"}));  // params win over options
}

TEST(SessionSettings, SetAppliesWhenItsCommandCompletes) {
  Harness h(users_config());
  h.connect();
  h.client(bytes_of(wire::Query{"SET search_path = app, public"}));
  h.server(bytes_of(wire::CommandComplete{"SET"}) + bytes_of(wire::ReadyForQuery{'I'}));
  h.client(bytes_of(wire::Query{"SELECT 1"}));  // the rewriter sees the new path from here on
  EXPECT_EQ(h.session->state().search_path, path({"app", "public"}));
}

TEST(SessionSettings, SetLocalAndRollbackOnTheWire) {
  Harness h(users_config());
  h.connect();
  h.client(bytes_of(wire::Query{"BEGIN; SET LOCAL search_path = tmp"}));
  h.server(bytes_of(wire::CommandComplete{"BEGIN"}) + bytes_of(wire::CommandComplete{"SET"}) +
           bytes_of(wire::ReadyForQuery{'T'}));
  h.client(bytes_of(wire::Query{"SELECT 1"}));
  EXPECT_EQ(h.session->state().search_path, path({"tmp"}));
  h.server(bytes_of(wire::CommandComplete{"SELECT 1"}) + bytes_of(wire::ReadyForQuery{'T'}));
  h.client(bytes_of(wire::Query{"SET search_path = s2; ROLLBACK"}));
  h.server(bytes_of(wire::CommandComplete{"SET"}) + bytes_of(wire::CommandComplete{"ROLLBACK"}) +
           bytes_of(wire::ReadyForQuery{'I'}));
  h.client(bytes_of(wire::Query{"SELECT 1"}));
  EXPECT_EQ(h.session->state().search_path, path({"\"$user\"", "public"}));
}

TEST(SessionSettings, FailedSetDoesNotApply) {
  Harness h(users_config());
  h.connect();
  h.client(bytes_of(wire::Query{"SET search_path = app; SELECT 1/0"}));
  h.server(bytes_of(wire::CommandComplete{"SET"}) +
           bytes_of(wire::make_error("ERROR", "22012", "division by zero")) +
           bytes_of(wire::ReadyForQuery{'I'}));
  h.client(bytes_of(wire::Query{"SELECT 1"}));
  EXPECT_EQ(h.session->state().search_path, path({"\"$user\"", "public"}));
}

TEST(SessionSettings, StandardConformingStringsFollowsTheServer) {
  Harness h(users_config());
  h.connect();
  EXPECT_TRUE(h.session->state().standard_conforming_strings);
  h.client(bytes_of(wire::Query{"SET standard_conforming_strings = off"}));
  h.server(bytes_of(wire::CommandComplete{"SET"}) +
           bytes_of(wire::ParameterStatus{"standard_conforming_strings", "off"}) +
           bytes_of(wire::ReadyForQuery{'I'}));
  EXPECT_FALSE(h.session->state().standard_conforming_strings);
}

TEST(SessionSettings, AdminVisibilityAndDeleteMode) {
  config::Config c = users_config();
  c.admin_roles = {"tombstone_admin"};
  Harness h(c);
  h.connect({{"user", "root"}}, /*admin=*/true);
  EXPECT_EQ(h.session->state().visibility, parser::Visibility::kAll);
  h.client(bytes_of(wire::Query{"SET tombstone.visibility = active; SET tombstone.delete = hard"}));
  h.server(bytes_of(wire::CommandComplete{"SET"}) + bytes_of(wire::CommandComplete{"SET"}) +
           bytes_of(wire::ReadyForQuery{'I'}));
  h.client(bytes_of(wire::Query{"SELECT 1"}));
  EXPECT_EQ(h.session->state().visibility, parser::Visibility::kActive);
  EXPECT_EQ(h.session->state().delete_mode, parser::DeleteMode::kHard);
}

}  // namespace
}  // namespace tombstone::session::testing
