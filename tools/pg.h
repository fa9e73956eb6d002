// A small RAII layer over libpq for the operator commands: connect, run SQL (optionally with text
// parameters), get rows of nullable text, and errors with every field the server sent.
#pragma once

#include <libpq-fe.h>

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tombstone::tools {

struct PgError {
  std::string sqlstate;  // empty for client-side failures (connection lost, ...)
  std::string message;
  std::string detail;
  std::string hint;
  std::string constraint;
  std::string table;

  // "message (DETAIL: …) (HINT: …)" on one line, for the terminal.
  std::string describe() const;
};

using Value = std::optional<std::string>;  // nullopt = SQL NULL
using Row = std::vector<Value>;

struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  std::string command_tag;  // "DELETE 5"
  long affected = 0;        // PQcmdTuples as a number (0 when not applicable)
};

class Connection {
 public:
  static std::expected<Connection, PgError> open(const std::string& dsn);

  std::expected<Rows, PgError> exec(const std::string& sql);
  std::expected<Rows, PgError> exec(const std::string& sql, const std::vector<Value>& params);

 private:
  struct Closer {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit Connection(PGconn* conn) : conn_(conn) {}
  std::unique_ptr<PGconn, Closer> conn_;
};

// SQL literal for a text value: 'it''s' (standard_conforming_strings is on in every PostgreSQL
// we support; E'' strings are used when the text holds a backslash so it is safe either way).
std::string quote_literal(const std::string& text);

}  // namespace tombstone::tools
