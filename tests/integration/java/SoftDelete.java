// JDBC client for test_apps_jdbc_node.py (issue 4 acceptance 3): what a Java application sees
// when its DELETEs go through Tombstone. Run as a single-file program:
//   java -cp /usr/share/java/postgresql.jar SoftDelete.java <jdbc-url> <user>
// (the test compiles it once with javac and runs the class twice).
// Prints one `name=value` line per observation; the test compares them with a hard DELETE's.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

public class SoftDelete {
  public static void main(String[] args) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    try (Connection conn = DriverManager.getConnection(args[0], props)) {
      try (Statement st = conn.createStatement()) {
        System.out.println("executeUpdate=" + st.executeUpdate("DELETE FROM users WHERE id = 3"));
        System.out.println(
            "executeUpdateAgain=" + st.executeUpdate("DELETE FROM users WHERE id = 3"));
      }
      // A batch of prepared DELETEs: one count per statement, 0 for a row already deleted.
      try (PreparedStatement ps = conn.prepareStatement("DELETE FROM users WHERE id = ?")) {
        for (int id : new int[] {4, 5, 4, 99}) {
          ps.setInt(1, id);
          ps.addBatch();
        }
        System.out.println("batch=" + Arrays.toString(ps.executeBatch()));
      }
      // Executed often enough that pgjdbc switches to a named server-side statement
      // (prepareThreshold, default 5): the fix-up must follow the statement name.
      try (PreparedStatement ps = conn.prepareStatement("DELETE FROM users WHERE id = ?")) {
        List<Integer> counts = new ArrayList<>();
        for (int id : new int[] {6, 6, 6, 6, 6, 7, 8, 8}) {
          ps.setInt(1, id);
          counts.add(ps.executeUpdate());
        }
        System.out.println("repeated=" + counts);
      }
      try (PreparedStatement ps =
               conn.prepareStatement("DELETE FROM users WHERE id = ? RETURNING id, name")) {
        ps.setInt(1, 1);
        try (ResultSet rs = ps.executeQuery()) {
          List<String> rows = new ArrayList<>();
          while (rs.next()) rows.add(rs.getInt(1) + ":" + rs.getString(2));
          System.out.println("returning=" + rows);
        }
      }
      conn.setAutoCommit(false);
      try (Statement st = conn.createStatement()) {
        System.out.println("inTransaction=" + st.executeUpdate("DELETE FROM users WHERE id = 2"));
        conn.rollback();
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM users")) {
          rs.next();
          System.out.println("liveAfterRollback=" + rs.getInt(1));
        }
      }
      conn.commit();
    }
  }
}
