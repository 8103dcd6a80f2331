package dev.botfleet.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.testing.TestDatabases;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunRepositoryPostgresTest extends RunRepositoryContract {
  @Override
  Database open(Path dir) {
    TestDatabases.Db db = TestDatabases.postgres();
    return Database.open(db.url(), db.user(), db.password(), 4);
  }

  /**
   * Issue 9, the PostgreSQL slow mode: a generic plan made while {@code run} is empty and never
   * analysed is kept by its pooled connection; the claim's and the reports' plans must then still
   * be one row by primary key, never a scan of the queue or of a machine's history (R2, R5).
   */
  @Test
  void issue_9_hot_updates_are_planned_by_primary_key_on_an_empty_table() {
    List<String> plans =
        tx.inTransaction(
            () -> {
              jdbc.update("SET LOCAL plan_cache_mode = force_generic_plan");
              jdbc.update(
                  "PREPARE claim_plan (varchar, varchar, int, varchar, int) AS UPDATE run SET state = 'ASSIGNED',"
                      + " machine_id = $1, bot_id = $2, attempt = $3 WHERE id = $4 AND attempt = $5"
                      + " AND state = 'QUEUED' AND cancel_requested = FALSE");
              jdbc.update(
                  "PREPARE report_plan (varchar, int, varchar) AS UPDATE run SET state = 'RUNNING'"
                      + " WHERE id = $1 AND attempt = $2 AND machine_id = $3 AND state IN ('ASSIGNED', 'RUNNING')");
              String claim =
                  String.join(
                      "\n",
                      jdbc.query(
                          "EXPLAIN EXECUTE claim_plan ('m', 'b', 1, 'r', 0)",
                          rs -> rs.getString(1)));
              String report =
                  String.join(
                      "\n",
                      jdbc.query(
                          "EXPLAIN EXECUTE report_plan ('r', 1, 'm')", rs -> rs.getString(1)));
              jdbc.update("DEALLOCATE claim_plan");
              jdbc.update("DEALLOCATE report_plan");
              return List.of(claim, report);
            });

    assertThat(plans)
        .allSatisfy(plan -> assertThat(plan).contains("using run_pkey").doesNotContain("Seq Scan"));
  }

  /**
   * Issue 9, measured: with {@code plan_cache_mode=auto} a statement first run while {@code run}
   * held a few pages got a generic plan, kept for the connection's life, that scanned the table for
   * a one-row update; with autovacuum off (as on this project's CI machines) one backend sat at a
   * full core on run reports. Every pooled connection plans each execution with its values,
   * whatever its transactions did.
   */
  @Test
  void issue_9_pooled_connections_plan_each_execution_with_its_parameters() throws Exception {
    for (int i = 0; i < 3; i++) {
      try (var c = database.dataSource().getConnection();
          var st = c.createStatement()) {
        var rs = st.executeQuery("SHOW plan_cache_mode");
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("force_custom_plan");
        c.rollback();
      }
    }
  }
}
