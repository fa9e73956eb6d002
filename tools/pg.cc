#include "tools/pg.h"

#include <cstdlib>

namespace tombstone::tools {
namespace {

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string PgError::describe() const {
  std::string out = message;
  if (!sqlstate.empty()) out = "[" + sqlstate + "] " + out;
  if (!detail.empty()) out += " (DETAIL: " + detail + ")";
  if (!hint.empty()) out += " (HINT: " + hint + ")";
  return out;
}

std::expected<Connection, PgError> Connection::open(const std::string& dsn) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  Connection c(conn);
  if (conn == nullptr)
    return std::unexpected(PgError{"", "out of memory connecting to PostgreSQL"});
  if (PQstatus(conn) != CONNECTION_OK) {
    return std::unexpected(
        PgError{"", "cannot connect to PostgreSQL: " + trim_newline(PQerrorMessage(conn))});
  }
  // Notices (e.g. "relation already exists, skipping") are noise for the operator.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return c;
}

std::expected<Rows, PgError> Connection::exec(const std::string& sql) { return exec(sql, {}); }

std::expected<Rows, PgError> Connection::exec(const std::string& sql,
                                              const std::vector<Value>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* raw = params.empty()
                      ? PQexec(conn_.get(), sql.c_str())
                      : PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                     nullptr, values.data(), nullptr, nullptr, 0);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(raw, &PQclear);
  if (!raw) return std::unexpected(PgError{"", trim_newline(PQerrorMessage(conn_.get()))});
  auto status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError e;
    e.sqlstate = field(raw, PG_DIAG_SQLSTATE);
    e.message = field(raw, PG_DIAG_MESSAGE_PRIMARY);
    if (e.message.empty()) e.message = trim_newline(PQerrorMessage(conn_.get()));
    e.detail = field(raw, PG_DIAG_MESSAGE_DETAIL);
    e.hint = field(raw, PG_DIAG_MESSAGE_HINT);
    e.constraint = field(raw, PG_DIAG_CONSTRAINT_NAME);
    e.table = field(raw, PG_DIAG_TABLE_NAME);
    return std::unexpected(std::move(e));
  }
  Rows rows;
  int ncols = PQnfields(raw);
  for (int c = 0; c < ncols; ++c) rows.columns.emplace_back(PQfname(raw, c));
  int nrows = PQntuples(raw);
  rows.rows.reserve(nrows);
  for (int r = 0; r < nrows; ++r) {
    Row row;
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(raw, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(raw, r, c), PQgetlength(raw, r, c)));
      }
    }
    rows.rows.push_back(std::move(row));
  }
  rows.command_tag = PQcmdStatus(raw);
  const char* tuples = PQcmdTuples(raw);
  rows.affected = (tuples && *tuples) ? std::strtol(tuples, nullptr, 10) : 0;
  return rows;
}

std::string quote_literal(const std::string& text) {
  bool backslash = text.find('\\') != std::string::npos;
  std::string out = backslash ? "E'" : "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace tombstone::tools
