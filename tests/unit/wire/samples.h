// One or more sample values of every protocol message, both directions, with the edge cases a
// codec gets wrong: empty strings, SQL NULLs, zero-length values, embedded NUL bytes in raw data,
// non-ASCII text, negative Int32 fields, empty and long lists.
#pragma once

#include <string>
#include <vector>

#include "proxy/wire/messages.h"

namespace tombstone::wire::testing {

inline std::string binary_bytes() { return std::string("\0\x01\xff\x80 \n\0", 7); }

inline std::vector<FrontendMessage> frontend_samples() {
  return {
      StartupMessage{.protocol = kProtocolV3,
                     .params = {{"user", "alice"},
                                {"database", "app"},
                                {"application_name", "psql"},
                                {"options", "-c search_path=app,public"}}},
      StartupMessage{.protocol = kProtocolV3, .params = {}},
      StartupMessage{.protocol = kProtocolV3 + 2, .params = {{"user", "bob"}, {"_pq_.x", ""}}},
      SslRequest{},
      GssEncRequest{},
      CancelRequest{.pid = 4242, .secret = -1234567},
      Query{.sql = "SELECT 1"},
      Query{.sql = ""},
      Query{.sql = "DELETE FROM users WHERE id = 1; SELECT 'é' AS \"naïve\""},
      Parse{.name = "", .query = "SELECT $1::int", .param_types = {}},
      Parse{.name = "s1", .query = "DELETE FROM t WHERE a = $1 AND b = $2", .param_types = {23, 0}},
      Bind{.portal = "", .statement = "", .param_formats = {}, .params = {}, .result_formats = {}},
      Bind{.portal = "p1",
           .statement = "s1",
           .param_formats = {0, 1},
           .params = {std::string("42"), std::nullopt, std::string(""), binary_bytes()},
           .result_formats = {1}},
      Describe{.kind = 'S', .name = "s1"},
      Describe{.kind = 'P', .name = ""},
      Execute{.portal = "", .max_rows = 0},
      Execute{.portal = "p1", .max_rows = 100},
      Close{.kind = 'S', .name = "s1"},
      Close{.kind = 'P', .name = ""},
      Sync{},
      Flush{},
      Terminate{},
      CopyData{.data = "1\talice\n2\t\\N\n"},
      CopyData{.data = binary_bytes()},
      CopyData{.data = ""},
      CopyDone{},
      CopyFail{.message = "aborted by user"},
      FunctionCall{.oid = 1598,
                   .arg_formats = {1},
                   .args = {std::string("\0\0\0\x05", 4), std::nullopt},
                   .result_format = 1},
      FunctionCall{.oid = 0, .arg_formats = {}, .args = {}, .result_format = 0},
      PasswordMessage{.body = std::string("md5c4ca4238a0b923820dcc509a6f75849b\0", 36)},
      PasswordMessage{.body = std::string("SCRAM-SHA-256\0\0\0\0\x18n,,n=,r=abcdefghijklmnop", 42)},
  };
}

inline std::vector<BackendMessage> backend_samples() {
  return {
      Authentication{.code = kAuthOk, .data = ""},
      Authentication{.code = kAuthCleartextPassword, .data = ""},
      Authentication{.code = kAuthMd5Password, .data = std::string("\x01\x00\xfe\x7f", 4)},
      make_sasl_authentication({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}),
      Authentication{.code = kAuthSaslContinue, .data = "r=abc,s=c2FsdA==,i=4096"},
      Authentication{.code = kAuthSaslFinal, .data = "v=c2lnbmF0dXJl"},
      Authentication{.code = kAuthGssContinue, .data = binary_bytes()},
      BackendKeyData{.pid = 31337, .secret = -99},
      ParameterStatus{.name = "server_version", .value = "15.4"},
      ParameterStatus{.name = "application_name", .value = ""},
      ReadyForQuery{.status = 'I'},
      ReadyForQuery{.status = 'T'},
      ReadyForQuery{.status = 'E'},
      RowDescription{.fields = {}},
      RowDescription{.fields = {{.name = "id",
                                 .table_oid = 16384,
                                 .column_attr = 1,
                                 .type_oid = 23,
                                 .type_size = 4,
                                 .type_modifier = -1,
                                 .format = 0},
                                {.name = "naïve",
                                 .table_oid = 0,
                                 .column_attr = 0,
                                 .type_oid = 1043,
                                 .type_size = -1,
                                 .type_modifier = 68,
                                 .format = 1}}},
      DataRow{.columns = {}},
      DataRow{.columns = {std::string("1"), std::nullopt, std::string(""), binary_bytes()}},
      CommandComplete{.tag = "DELETE 3"},
      CommandComplete{.tag = "INSERT 0 1"},
      make_error("ERROR", "42P01", "relation \"nope\" does not exist", "check the name"),
      ErrorResponse{.fields = {}},
      NoticeResponse{.fields = {{'S', "NOTICE"}, {'C', "00000"}, {'M', "hello"}, {'P', "7"}}},
      EmptyQueryResponse{},
      ParseComplete{},
      BindComplete{},
      CloseComplete{},
      NoData{},
      ParameterDescription{.oids = {}},
      ParameterDescription{.oids = {23, 25, 4294967295u}},
      PortalSuspended{},
      CopyInResponse{.format = 0, .column_formats = {0, 0, 0}},
      CopyOutResponse{.format = 1, .column_formats = {1}},
      CopyOutResponse{.format = 0, .column_formats = {}},
      CopyBothResponse{.format = 0, .column_formats = {}},
      CopyData{.data = binary_bytes()},
      CopyDone{},
      NotificationResponse{.pid = 77, .channel = "jobs", .payload = "{\"id\": 1}"},
      NotificationResponse{.pid = 77, .channel = "jobs", .payload = ""},
      FunctionCallResponse{.result = std::string("\0\0\0\x05", 4)},
      FunctionCallResponse{.result = std::nullopt},
      NegotiateProtocolVersion{.minor = 0, .unrecognized = {"_pq_.compression"}},
      NegotiateProtocolVersion{.minor = 0, .unrecognized = {}},
  };
}

inline bool is_startup_packet(const FrontendMessage& m) {
  return std::visit([](const auto& v) { return std::decay_t<decltype(v)>::kType == '\0'; }, m);
}

inline std::string encoded(const FrontendMessage& m) {
  std::string out;
  encode(m, out);
  return out;
}
inline std::string encoded(const BackendMessage& m) {
  std::string out;
  encode(m, out);
  return out;
}

}  // namespace tombstone::wire::testing
