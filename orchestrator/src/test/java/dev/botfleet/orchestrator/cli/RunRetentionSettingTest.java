package dev.botfleet.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.EnvDefaults;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Issue 9: --run-retention follows flag > BOTFLEET_RUN_RETENTION > default 30 days; 0 is off. */
class RunRetentionSettingTest {
  private static Duration retention(Map<String, String> env, String... args) {
    ServerCommand server = new ServerCommand();
    CommandLine cl = new CommandLine(server);
    cl.setDefaultValueProvider(new EnvDefaults(env));
    cl.parseArgs(args);
    return server.config().retention().runs();
  }

  @Test
  void issue_9_run_retention_defaults_to_30_days_and_can_be_set_or_turned_off() {
    assertThat(retention(Map.of())).isEqualTo(Duration.ofDays(30));
    assertThat(retention(Map.of("BOTFLEET_RUN_RETENTION", "7d"))).isEqualTo(Duration.ofDays(7));
    assertThat(retention(Map.of("BOTFLEET_RUN_RETENTION", "7d"), "--run-retention", "90d"))
        .isEqualTo(Duration.ofDays(90));
    assertThat(retention(Map.of(), "--run-retention", "0")).isZero();
    // Below an hour would purge runs people are still looking at.
    assertThatThrownBy(() -> retention(Map.of(), "--run-retention", "5m"))
        .hasMessageContaining(
            "run-retention: PT5M (expected: 0 to keep runs for ever, or at least 1h)");
  }
}
