// A JDBC workload for Tombstone's integration tests (issue 2, A2). Run as a single-file source
//   java -cp /usr/share/java/postgresql.jar JdbcWorkload.java 'jdbc:postgresql://host:port/db?...'
// or, as test_clients_jdbc.py does, compiled once with javac and run from the class directory.
// It prints a transcript (results, update counts, SQLSTATEs) that must be identical whether the
// URL points at PostgreSQL directly or at Tombstone.
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.Arrays;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class JdbcWorkload {
  static void out(String label, Object value) {
    System.out.println(label + ": " + value);
  }

  static String rows(ResultSet rs) throws SQLException {
    StringBuilder sb = new StringBuilder();
    ResultSetMetaData md = rs.getMetaData();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      sb.append(md.getColumnLabel(i)).append('/').append(md.getColumnTypeName(i)).append(' ');
    }
    while (rs.next()) {
      sb.append('|');
      for (int i = 1; i <= md.getColumnCount(); i++) {
        sb.append(rs.getString(i)).append(i < md.getColumnCount() ? "," : "");
      }
    }
    return sb.toString();
  }

  public static void main(String[] args) throws Exception {
    try (Connection conn = DriverManager.getConnection(args[0])) {
      conn.setAutoCommit(false);
      try (Statement st = conn.createStatement()) {
        out("select", rows(st.executeQuery("SELECT 1 AS one, 'two'::text AS two, 3.5::numeric")));
        out("insert", st.executeUpdate("INSERT INTO items (id, name, qty) VALUES (1, 'one', 1)"));
      }

      // PreparedStatement batch: update counts per row, then reused server-side statements.
      try (PreparedStatement ps =
               conn.prepareStatement("INSERT INTO items (id, name, qty) VALUES (?, ?, ?)")) {
        for (int i = 2; i <= 40; i++) {
          ps.setInt(1, i);
          ps.setString(2, "n" + i);
          ps.setInt(3, i * 10);
          ps.addBatch();
        }
        out("batch", Arrays.toString(ps.executeBatch()));
      }
      try (PreparedStatement ps =
               conn.prepareStatement("UPDATE items SET qty = qty + ? WHERE id <= ?")) {
        for (int i = 0; i < 6; i++) {  // past prepareThreshold: a named server-side statement
          ps.setInt(1, 1);
          ps.setInt(2, 5 + i);
          out("update " + i, ps.executeUpdate());
        }
      }
      try (PreparedStatement ps =
               conn.prepareStatement("DELETE FROM items WHERE id BETWEEN ? AND ?")) {
        ps.setInt(1, 30);
        ps.setInt(2, 35);
        out("delete", ps.executeUpdate());
      }
      try (PreparedStatement ps = conn.prepareStatement(
               "SELECT id, name, qty FROM items WHERE id < ? ORDER BY id")) {
        for (int i = 0; i < 6; i++) {
          ps.setInt(1, 4 + i);
          out("query " + i, rows(ps.executeQuery()));
        }
      }
      conn.commit();

      // A rolled-back transaction and a savepoint.
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("INSERT INTO items (id, name) VALUES (100, 'rolled back')");
        conn.rollback();
        st.executeUpdate("INSERT INTO items (id, name) VALUES (101, 'kept')");
        Savepoint sp = conn.setSavepoint();
        st.executeUpdate("INSERT INTO items (id, name) VALUES (102, 'to savepoint')");
        conn.rollback(sp);
        conn.commit();
        out("after rollback", rows(st.executeQuery(
            "SELECT array_agg(id ORDER BY id) FROM items WHERE id >= 100")));
        conn.commit();
      }

      // An error inside a transaction, then recovery.
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("INSERT INTO items (id, name) VALUES (103, 'lost')");
        try {
          st.executeQuery("SELECT 1 / 0");
        } catch (SQLException e) {
          out("error", e.getSQLState() + " " + e.getMessage());
        }
        try {
          st.executeQuery("SELECT 1");
        } catch (SQLException e) {
          out("aborted", e.getSQLState());
        }
        conn.rollback();
        out("recovered", rows(st.executeQuery("SELECT count(*) FROM items WHERE id = 103")));
        conn.commit();
      }

      // A batch that fails part-way: the driver reports the failing statement.
      try (PreparedStatement ps =
               conn.prepareStatement("INSERT INTO items (id, name) VALUES (?, ?)")) {
        for (int id : new int[] {200, 201, 1, 202}) {
          ps.setInt(1, id);
          ps.setString(2, "b" + id);
          ps.addBatch();
        }
        ps.executeBatch();
      } catch (BatchUpdateException e) {
        out("batch error", e.getSQLState() + " " + Arrays.toString(e.getUpdateCounts()));
        conn.rollback();
      }

      // Warnings (NoticeResponse) and COPY in/out.
      try (Statement st = conn.createStatement()) {
        st.execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$");
        SQLWarning w = st.getWarnings();
        out("notice", w == null ? null : w.getMessage());
      }
      CopyManager copy = conn.unwrap(PGConnection.class).getCopyAPI();
      out("copy in", copy.copyIn("COPY items (id, name, qty) FROM STDIN WITH (FORMAT csv)",
                                 new StringReader("300,\"three, hundred\",3\n301,x,\n")));
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      out("copy out",
          copy.copyOut("COPY (SELECT * FROM items ORDER BY id) TO STDOUT WITH CSV", buf));
      out("copy data", buf.toString("UTF-8").replace("\n", "\\n"));
      try {
        copy.copyIn("COPY items (id, name) FROM STDIN", new StringReader("oops\tx\n"));
      } catch (SQLException e) {
        out("copy error", e.getSQLState());
        conn.rollback();
      }
      conn.commit();
      try (Statement st = conn.createStatement()) {
        out("final", rows(st.executeQuery("SELECT count(*), sum(qty) FROM items")));
      }
      conn.commit();
    }
  }
}
