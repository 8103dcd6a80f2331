package dev.botfleet.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * Issue 7: a background writer failing every second while the database is down logs once per
 * interval.
 */
class ThrottledLogTest {
  private final List<String> lines = new ArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Logger logger =
      (Logger)
          Proxy.newProxyInstance(
              Logger.class.getClassLoader(),
              new Class<?>[] {Logger.class},
              (proxy, method, args) -> {
                if (method.getName().equals("warn") || method.getName().equals("info")) {
                  lines.add(method.getName() + " " + java.util.Arrays.deepToString(args));
                }
                return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
              });

  @Test
  void issue_7_a_failure_repeating_every_second_for_two_minutes_logs_five_lines_and_one_recovery() {
    ThrottledLog log = new ThrottledLog(logger, "sweep_failed", Duration.ofSeconds(30), now::get);
    for (int s = 0; s < 120; s++) {
      log.failed(new IllegalStateException("connection refused"));
      now.addAndGet(Duration.ofSeconds(1).toNanos());
    }
    log.succeeded();
    log.succeeded();

    assertThat(lines).hasSize(5); // first failure, then at 30, 60, 90 s, then the recovery
    assertThat(lines.get(0)).startsWith("warn").contains("sweep_failed");
    assertThat(lines.get(4)).startsWith("info").contains("sweep_recovered");
  }

  @Test
  void issue_7_a_failure_after_a_quiet_interval_starts_a_new_episode() {
    ThrottledLog log =
        new ThrottledLog(logger, "database_unavailable", Duration.ofSeconds(30), now::get);
    log.failed(new IllegalStateException("down"));
    now.addAndGet(Duration.ofHours(1).toNanos());
    log.failed(new IllegalStateException("down again"));

    assertThat(lines).hasSize(2);
    assertThat(lines).allSatisfy(l -> assertThat(l).contains("repeats are logged at most every"));
  }
}
