// Ready phase: simple and extended protocol through the session — tag fix-ups in order, errors
// dropping pending fix-ups, pipelining, named/unnamed statements, SQL-level PREPARE/EXECUTE,
// COPY streaming, message size limits and byte-exact pass-through at every split point.
#include <gtest/gtest.h>

#include "tests/unit/session/session_test_support.h"

namespace tombstone::session::testing {
namespace {

std::string query(std::string sql) { return bytes_of(wire::Query{std::move(sql)}); }
std::string complete(std::string tag) { return bytes_of(wire::CommandComplete{std::move(tag)}); }
std::string ready(char status = 'I') { return bytes_of(wire::ReadyForQuery{status}); }
std::string parse(std::string name, std::string sql) {
  return bytes_of(wire::Parse{std::move(name), std::move(sql), {}});
}
std::string bind(std::string portal, std::string statement) {
  return bytes_of(wire::Bind{std::move(portal), std::move(statement), {}, {}, {}});
}
std::string execute(std::string portal) { return bytes_of(wire::Execute{std::move(portal), 0}); }
std::string sync() { return bytes_of(wire::Sync{}); }
std::string error(std::string code = "22012") {
  return bytes_of(wire::make_error("ERROR", code, "boom"));
}

std::vector<std::string> tags(const std::vector<wire::RawMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    if (m.type == 'C') out.push_back(tag_of(m));
  }
  return out;
}

TEST(SessionQuery, UnmanagedQueryIsForwardedByteForByte) {
  Harness h(users_config());
  h.connect();
  const std::string q = query("SELECT * FROM orders WHERE id = 1");
  h.client(q);
  EXPECT_EQ(h.to_server, q);
  const std::string answer = bytes_of(wire::RowDescription{}) +
                             bytes_of(wire::DataRow{{std::string("1")}}) + complete("SELECT 1") +
                             ready();
  h.server(answer);
  EXPECT_EQ(h.to_client, answer);
}

TEST(SessionQuery, SoftDeleteGetsDeleteTag) {
  Harness h(users_config());
  h.connect();
  h.client(query("DELETE FROM users WHERE id = 1"));
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "Q");
  EXPECT_TRUE(query_text(sent[0]).starts_with("UPDATE")) << query_text(sent[0]);
  EXPECT_NE(query_text(sent[0]).find("deleted_at"), std::string::npos);
  h.server(complete("UPDATE 1") + ready());
  auto out = h.sent_to_client();
  EXPECT_EQ(types_of(out), "CZ");
  EXPECT_EQ(tag_of(out[0]), "DELETE 1");
}

TEST(SessionQuery, MultiStatementFixupsApplyInOrder) {
  Harness h(users_config());
  h.connect();
  h.client(query("DELETE FROM users WHERE id = 1; SELECT 1; DELETE FROM users WHERE id > 5"));
  h.sent_to_server();
  h.server(complete("UPDATE 1") + complete("SELECT 1") + complete("UPDATE 7") + ready());
  EXPECT_EQ(tags(h.sent_to_client()),
            (std::vector<std::string>{"DELETE 1", "SELECT 1", "DELETE 7"}));
}

TEST(SessionQuery, ErrorMidStringDropsPendingFixups) {
  Harness h(users_config());
  h.connect();
  h.client(query("SELECT 1/0; DELETE FROM users WHERE id = 1"));
  h.server(error() + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "EZ");
  // The next query's tags are its own: nothing left over from the failed string.
  h.client(query("UPDATE users SET email = 'x' WHERE id = 2"));
  h.server(complete("UPDATE 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"UPDATE 1"});
}

TEST(SessionQuery, EmptyQueryResponseConsumesItsSlot) {
  Harness h(users_config());
  h.connect();
  h.client(query(""));
  h.server(bytes_of(wire::EmptyQueryResponse{}) + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "IZ");
  h.client(query("DELETE FROM users WHERE id = 3"));
  h.server(complete("UPDATE 0") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"DELETE 0"});
}

TEST(SessionQuery, PipelinedQueriesKeepTheirOwnFixups) {
  Harness h(users_config());
  h.connect();
  h.client(query("SELECT 2") + query("DELETE FROM users WHERE id = 1"));
  h.server(complete("SELECT 1") + ready() + complete("UPDATE 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), (std::vector<std::string>{"SELECT 1", "DELETE 1"}));
}

TEST(SessionQuery, SqlPrepareExecuteGetsTheFixup) {
  Harness h(users_config());
  h.connect();
  h.client(query("PREPARE del(int) AS DELETE FROM users WHERE id = $1"));
  h.server(complete("PREPARE") + ready());
  h.sent_to_client();
  h.client(query("EXECUTE del(1)"));
  auto sent = h.sent_to_server();
  h.server(complete("UPDATE 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"DELETE 1"});
  h.client(query("DEALLOCATE del"));
  h.server(complete("DEALLOCATE") + ready());
  h.sent_to_client();
  h.client(query("EXECUTE del(1)"));
  h.server(error("26000") + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "EZ");
}

TEST(SessionQuery, RefusedStatementIsRaisedByTheServer) {
  Harness h(users_config());
  h.connect();
  h.client(query("SET tombstone.visibility = 'all'"));
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "Q");
  const std::string sql = query_text(sent[0]);
  EXPECT_NE(sql.find("42501"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("SET tombstone.visibility"), std::string::npos) << sql;
}

TEST(SessionExtended, NamedAndUnnamedStatementsKeepTheirFixups) {
  Harness h(users_config());
  h.connect();
  h.client(parse("del", "DELETE FROM users WHERE id = $1") + parse("", "SELECT 1") +
           bind("p", "del") + execute("p") + bind("", "") + execute("") + sync());
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "PPBEBES");
  auto first = wire::decode_frontend('P', sent[0].body);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(std::get<wire::Parse>(*first).query.starts_with("UPDATE"));
  EXPECT_EQ(std::get<wire::Parse>(*first).name, "del");
  EXPECT_EQ(sent[1].body, std::string("\0SELECT 1\0\0\0", 12));  // untouched
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::ParseComplete{}) +
           bytes_of(wire::BindComplete{}) + complete("UPDATE 3") + bytes_of(wire::BindComplete{}) +
           complete("SELECT 1") + ready());
  auto out = h.sent_to_client();
  EXPECT_EQ(types_of(out), "112C2CZ");
  EXPECT_EQ(tags(out), (std::vector<std::string>{"DELETE 3", "SELECT 1"}));

  // The named statement is remembered across batches.
  h.client(bind("", "del") + execute("") + sync());
  h.server(bytes_of(wire::BindComplete{}) + complete("UPDATE 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"DELETE 1"});
}

TEST(SessionExtended, PipelinedBatchesOfParseBindExecute) {
  Harness h(users_config());
  h.connect();
  std::string batch;
  std::string answer;
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    const bool del = i % 3 == 0;
    batch += parse("", del ? "DELETE FROM users WHERE id = $1" : "UPDATE users SET email = 'a'");
    batch += bind("", "") + execute("");
    answer += bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{});
    answer += complete("UPDATE " + std::to_string(i));
    expected.push_back((del ? "DELETE " : "UPDATE ") + std::to_string(i));
    if (i % 10 == 9) {
      batch += sync();
      answer += ready();
    }
  }
  h.client(batch);
  h.server(answer);
  EXPECT_EQ(tags(h.sent_to_client()), expected);
}

TEST(SessionExtended, PipelinedSetSearchPathAppliesToTheStatementsAfterIt) {
  Harness h(users_config());
  auto rows = users_catalog_rows();
  rows.push_back({"crm", "users", "r", "1", "id", "integer", "f"});  // same name, unmanaged
  h.connect({{"user", "alice"}, {"database", "app"}}, false, rows);
  // One pipeline: the DELETE is parsed before the SET's CommandComplete comes back.
  h.client(parse("", "SET search_path = crm, public") + bind("", "") + execute("") +
           parse("", "DELETE FROM users WHERE id = 1") + bind("", "") + execute("") + sync());
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "PBEPBES");
  auto del = wire::decode_frontend('P', sent[3].body);
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(std::get<wire::Parse>(*del).query, "DELETE FROM users WHERE id = 1");  // crm.users
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) + complete("SET") +
           bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) + complete("DELETE 1") +
           ready());
  EXPECT_EQ(tags(h.sent_to_client()), (std::vector<std::string>{"SET", "DELETE 1"}));
  EXPECT_EQ(h.session->state().search_path, (std::vector<std::string>{"crm", "public"}));
}

TEST(SessionExtended, PreparedStatementIsReparsedAfterSearchPathChange) {
  Harness h(users_config());
  auto rows = users_catalog_rows();
  rows.push_back({"crm", "users", "r", "1", "id", "integer", "f"});
  h.connect({{"user", "alice"}, {"database", "app"}}, false, rows);
  h.client(parse("s", "SELECT id FROM users") + sync());
  auto sent = h.sent_to_server();
  auto first = wire::decode_frontend('P', sent[0].body);
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(std::get<wire::Parse>(*first).query.find("deleted_at"), std::string::npos);
  h.server(bytes_of(wire::ParseComplete{}) + ready());
  h.client(query("SET search_path = crm, public"));
  h.server(complete("SET") + ready());
  h.sent_to_client();
  h.sent_to_server();
  // The server would re-plan "s" for crm.users; so must the rewrite: re-prepared invisibly,
  // Close + Parse slipped in before the Bind, their answers swallowed.
  h.client(bind("", "s") + execute("") + sync());
  auto reparse = h.sent_to_server();
  ASSERT_EQ(types_of(reparse), "CPBES");
  auto again = wire::decode_frontend('P', reparse[1].body);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(std::get<wire::Parse>(*again).name, "s");
  EXPECT_EQ(std::get<wire::Parse>(*again).query, "SELECT id FROM users");
  h.server(bytes_of(wire::CloseComplete{}) + bytes_of(wire::ParseComplete{}) +
           bytes_of(wire::BindComplete{}) + complete("SELECT 3") + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "2CZ");
  // Unchanged inputs: the next Bind goes straight through.
  h.client(bind("", "s") + execute("") + sync());
  EXPECT_EQ(types_of(h.sent_to_server()), "BES");
}

TEST(SessionExtended, ErrorSkipsUntilSyncAndNextBatchIsClean) {
  Harness h(users_config());
  h.connect();
  // Batch 1 fails at the first Execute; its second Execute gets no response from the server.
  h.client(parse("s1", "SELECT 1/0") + bind("", "s1") + execute("") +
           parse("s2", "DELETE FROM users WHERE id = 1") + bind("", "s2") + execute("") + sync() +
           bind("", "s2") + execute("") + sync());
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) + error() + ready() +
           bytes_of(wire::BindComplete{}) + complete("UPDATE 1") + ready());
  auto out = h.sent_to_client();
  EXPECT_EQ(types_of(out), "12EZ2CZ");
  EXPECT_EQ(tags(out), std::vector<std::string>{"DELETE 1"});
}

TEST(SessionExtended, CloseForgetsTheStatement) {
  Harness h(users_config());
  h.connect();
  h.client(parse("s", "DELETE FROM users WHERE id = 1") + sync());
  h.server(bytes_of(wire::ParseComplete{}) + ready());
  h.client(bytes_of(wire::Close{'S', "s"}) + parse("s", "UPDATE users SET email = 'b'") +
           bind("", "s") + execute("") + sync());
  h.server(bytes_of(wire::CloseComplete{}) + bytes_of(wire::ParseComplete{}) +
           bytes_of(wire::BindComplete{}) + complete("UPDATE 2") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"UPDATE 2"});
}

TEST(SessionExtended, PortalSuspendedThenCompletion) {
  Harness h(users_config());
  h.connect();
  h.client(parse("", "SELECT * FROM t") + bind("c", "") + bytes_of(wire::Execute{"c", 1}) + sync());
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) +
           bytes_of(wire::DataRow{{std::string("1")}}) + bytes_of(wire::PortalSuspended{}) +
           ready('T'));
  EXPECT_EQ(types_of(h.sent_to_client()), "12DsZ");
  h.client(bytes_of(wire::Execute{"c", 0}) + sync());
  h.server(bytes_of(wire::DataRow{{std::string("2")}}) + complete("SELECT 1") + ready('T'));
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"SELECT 1"});
}

TEST(SessionExtended, HugeBindParameterIsStreamedNotBuffered) {
  config::Config c = users_config();
  c.limits.max_message_size = 1024;
  Harness h(c);
  h.connect();
  h.client(parse("d", "DELETE FROM users WHERE id = $1") + sync());
  h.server(bytes_of(wire::ParseComplete{}) + ready());
  h.sent_to_server();
  h.sent_to_client();
  const std::string big_bind = bytes_of(wire::Bind{"", "d", {}, {std::string(100000, '7')}, {}});
  // Fed in small pieces, as a socket would deliver it.
  for (std::size_t i = 0; i < big_bind.size(); i += 1000) h.client(big_bind.substr(i, 1000));
  EXPECT_EQ(h.to_server, big_bind);
  h.to_server.clear();
  h.client(execute("") + sync());
  h.server(bytes_of(wire::BindComplete{}) + complete("UPDATE 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"DELETE 1"});
}

TEST(SessionStreaming, CopyInAndOutPassThroughUnbuffered) {
  config::Config c = users_config();
  c.limits.max_message_size = 1024;  // far smaller than the COPY data below
  Harness h(c);
  h.connect();
  h.client(query("COPY t FROM STDIN"));
  h.server(bytes_of(wire::CopyInResponse{0, {0}}));
  h.sent_to_client();
  h.sent_to_server();
  std::string copy = bytes_of(wire::CopyData{std::string(300000, 'x')}) +
                     bytes_of(wire::CopyData{"1\n"}) + bytes_of(wire::CopyDone{});
  for (std::size_t i = 0; i < copy.size(); i += 4096) {
    EXPECT_EQ(h.client(copy.substr(i, 4096)), Next::kContinue);
  }
  EXPECT_EQ(h.to_server, copy);
  h.to_server.clear();
  h.server(complete("COPY 2") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"COPY 2"});

  h.client(query("COPY t TO STDOUT"));
  const std::string out = bytes_of(wire::CopyOutResponse{0, {0}}) +
                          bytes_of(wire::CopyData{std::string(200000, 'y')}) +
                          bytes_of(wire::CopyDone{}) + complete("COPY 1") + ready();
  for (std::size_t i = 0; i < out.size(); i += 8192) h.server(out.substr(i, 8192));
  EXPECT_EQ(h.to_client, out);
}

TEST(SessionStreaming, LargeDataRowIsStreamed) {
  config::Config c = base_config();
  c.limits.max_message_size = 1024;
  Harness h(c);
  h.connect();
  h.client(query("SELECT repeat('x', 1000000)"));
  const std::string answer = bytes_of(wire::RowDescription{{wire::FieldDescription{.name = "r"}}}) +
                             bytes_of(wire::DataRow{{std::string(1000000, 'x')}}) +
                             complete("SELECT 1") + ready();
  EXPECT_EQ(h.server(answer), Next::kContinue);
  EXPECT_EQ(h.to_client, answer);
}

TEST(SessionLimits, OversizedQueryIsRefusedWith08P01) {
  config::Config c = base_config();
  c.limits.max_message_size = 1024;
  Harness h(c);
  h.connect();
  EXPECT_EQ(h.client(query(std::string(5000, ' ') + "SELECT 1")), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  const auto e = error_of(out[0]);
  EXPECT_EQ(e.code(), "08P01");
  EXPECT_NE(e.message().find("max_message_size"), std::string_view::npos);
  EXPECT_EQ(types_of(h.sent_to_server()), "X");
}

TEST(SessionLimits, NegativeLengthIsAProtocolViolation) {
  Harness h;
  h.connect();
  EXPECT_EQ(h.client(std::string("Q\xff\xff\xff\xff", 5)), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  EXPECT_EQ(error_of(out[0]).code(), "08P01");
}

// Whatever the split points of the byte streams, the bytes sent each way are identical.
TEST(SessionFraming, EverySplitPointGivesTheSameBytes) {
  const std::string from_client = query("DELETE FROM users WHERE id = 1; SELECT 1") +
                                  parse("a", "DELETE FROM users") + bind("", "a") + execute("") +
                                  sync() + bytes_of(wire::Terminate{});
  const std::string from_server = complete("UPDATE 1") + complete("SELECT 1") + ready() +
                                  bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) +
                                  complete("UPDATE 4") + ready();
  Harness whole(users_config());
  whole.connect();
  whole.client(from_client);
  whole.server(from_server);
  for (std::size_t cut = 1; cut < from_client.size(); cut += 3) {
    Harness h(users_config());
    h.connect();
    h.client(from_client.substr(0, cut));
    h.client(from_client.substr(cut));
    const std::size_t server_cut = cut % from_server.size();
    h.server(from_server.substr(0, server_cut));
    h.server(from_server.substr(server_cut));
    EXPECT_EQ(h.to_server, whole.to_server) << cut;
    EXPECT_EQ(h.to_client, whole.to_client) << cut;
  }
  EXPECT_EQ(tags(whole.sent_to_client()),
            (std::vector<std::string>{"DELETE 1", "SELECT 1", "DELETE 4"}));
}

TEST(SessionCatalog, DdlRefreshesTheCatalogInvisibly) {
  Harness h(users_config());
  h.connect({{"user", "alice"}, {"database", "app"}}, false, {});  // users does not exist yet
  h.client(query("CREATE TABLE users (id int, email text, deleted_at timestamptz)"));
  h.sent_to_server();
  h.server(complete("CREATE TABLE") + ready());
  // The ReadyForQuery is held while the catalog is asked for again.
  EXPECT_EQ(types_of(h.sent_to_client()), "C");
  auto hidden = h.sent_to_server();
  ASSERT_EQ(types_of(hidden), "Q");
  h.server(catalog_answer(users_catalog_rows()) + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "Z");
  // Now the new table is known: DELETE becomes a soft delete.
  h.client(query("DELETE FROM users WHERE id = 1"));
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "Q");
  EXPECT_TRUE(query_text(sent[0]).starts_with("UPDATE")) << query_text(sent[0]);
}

TEST(SessionCatalog, StatementPipelinedAfterDdlWaitsForTheNewCatalog) {
  Harness h(users_config());
  h.connect({{"user", "alice"}, {"database", "app"}}, false, {});  // users does not exist yet
  h.client(query("CREATE TABLE users (id int, email text, deleted_at timestamptz)") +
           query("DELETE FROM users WHERE id = 1"));
  EXPECT_EQ(types_of(h.sent_to_server()), "Q");  // only the CREATE: the DELETE waits
  h.server(complete("CREATE TABLE") + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "C");
  ASSERT_EQ(types_of(h.sent_to_server()), "Q");  // the invisible catalog refresh
  h.server(catalog_answer(users_catalog_rows()) + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "Z");
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "Q");
  EXPECT_TRUE(query_text(sent[0]).starts_with("UPDATE")) << query_text(sent[0]);
  h.server(complete("UPDATE 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), std::vector<std::string>{"DELETE 1"});
}

TEST(SessionExtended, StatementAfterPipelinedRollbackWaitsForIt) {
  Harness h(users_config());
  auto rows = users_catalog_rows();
  rows.push_back({"crm", "users", "r", "1", "id", "integer", "f"});
  h.connect({{"user", "alice"}, {"database", "app"}}, false, rows);
  h.client(query("BEGIN"));
  h.server(complete("BEGIN") + ready('T'));
  h.sent_to_client();
  h.sent_to_server();
  // SET LOCAL, then ROLLBACK, then a DELETE — all pipelined, each batch synced.
  h.client(parse("", "SET LOCAL search_path = crm") + bind("", "") + execute("") + sync() +
           parse("", "ROLLBACK") + bind("", "") + execute("") + sync() +
           parse("", "DELETE FROM users WHERE id = 1") + bind("", "") + execute("") + sync());
  EXPECT_EQ(types_of(h.sent_to_server()), "PBES");
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) + complete("SET") +
           ready('T'));
  EXPECT_EQ(types_of(h.sent_to_server()), "PBES");  // the ROLLBACK
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) + complete("ROLLBACK") +
           ready('I'));
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "PBES");
  auto del = wire::decode_frontend('P', sent[0].body);
  ASSERT_TRUE(del.has_value());
  // public.users again after the rollback: soft delete.
  EXPECT_TRUE(std::get<wire::Parse>(*del).query.starts_with("UPDATE"));
}

TEST(SessionCatalog, ReloadedConfigAppliesFromTheNextStatement) {
  Harness h(base_config());
  h.connect();
  config::Config reloaded = users_config();
  reloaded.generation = 2;
  h.env.set_config(reloaded);
  // The statement waits while the new config's catalog snapshot is taken invisibly...
  h.client(query("DELETE FROM users WHERE id = 1") + query("SELECT 1"));
  auto hidden = h.sent_to_server();
  ASSERT_EQ(types_of(hidden), "Q");
  EXPECT_EQ(query_text(hidden[0]).find("DELETE"), std::string::npos);
  h.server(catalog_answer(users_catalog_rows()) + ready());
  EXPECT_TRUE(h.to_client.empty());
  // ...then runs under the new policy, followed by what the client sent meanwhile.
  auto sent = h.sent_to_server();
  ASSERT_EQ(types_of(sent), "QQ");
  EXPECT_TRUE(query_text(sent[0]).starts_with("UPDATE")) << query_text(sent[0]);
  EXPECT_EQ(query_text(sent[1]), "SELECT 1");
  h.server(complete("UPDATE 1") + ready() + complete("SELECT 1") + ready());
  EXPECT_EQ(tags(h.sent_to_client()), (std::vector<std::string>{"DELETE 1", "SELECT 1"}));
}

TEST(SessionCatalog, ReloadInsideABatchWaitsForTheNextReadyForQuery) {
  Harness h(base_config());
  h.connect();
  h.client(parse("", "SELECT 1") + bind("", ""));
  h.sent_to_server();
  config::Config reloaded = users_config();
  reloaded.generation = 2;
  h.env.set_config(reloaded);
  h.client(execute("") + sync());
  EXPECT_EQ(types_of(h.sent_to_server()), "ES");  // nothing slipped into the open batch
  h.server(bytes_of(wire::ParseComplete{}) + bytes_of(wire::BindComplete{}) + complete("SELECT 1") +
           ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "12C");  // ReadyForQuery held for the refresh
  ASSERT_EQ(types_of(h.sent_to_server()), "Q");
  h.server(catalog_answer(users_catalog_rows()) + ready());
  EXPECT_EQ(types_of(h.sent_to_client()), "Z");
}

}  // namespace
}  // namespace tombstone::session::testing
