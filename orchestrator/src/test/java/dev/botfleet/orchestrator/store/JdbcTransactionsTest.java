package dev.botfleet.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions.afterCommit (issue 8 §2/§3): notifications to other threads wait for the outermost
 * commit, also when the work that raised them joined a caller's transaction (an idempotent call),
 * and are dropped when it rolls back. On a real H2 database.
 */
class JdbcTransactionsTest {
  @TempDir Path dir;

  @Test
  void actions_run_after_the_outermost_commit_and_never_after_a_rollback() {
    try (Database db = Database.open(Database.h2FileUrl(dir), null, null, 2)) {
      JdbcTransactions tx = new JdbcTransactions(db);
      List<String> seen = new ArrayList<>();

      tx.afterCommit(() -> seen.add("no transaction: at once"));
      assertThat(seen).containsExactly("no transaction: at once");

      tx.run(
          () -> {
            tx.run(() -> tx.afterCommit(() -> seen.add("nested")));
            // Still inside the outer transaction: nothing has run yet.
            assertThat(seen).hasSize(1);
            tx.afterCommit(() -> seen.add("outer"));
          });
      assertThat(seen).containsExactly("no transaction: at once", "nested", "outer");

      assertThatThrownBy(
              () ->
                  tx.run(
                      () -> {
                        tx.afterCommit(() -> seen.add("rolled back"));
                        throw new IllegalStateException("fails");
                      }))
          .isInstanceOf(IllegalStateException.class);
      assertThat(seen).doesNotContain("rolled back");
    }
  }
}
