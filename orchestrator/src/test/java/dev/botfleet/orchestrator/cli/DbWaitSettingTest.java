package dev.botfleet.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.common.EnvDefaults;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Issue 7: --db-wait follows flag > BOTFLEET_DB_WAIT > config file > default 2s. */
class DbWaitSettingTest {
  private static Duration dbWait(Map<String, String> env, String... args) {
    ServerCommand server = new ServerCommand();
    CommandLine cl = new CommandLine(server);
    cl.setDefaultValueProvider(new EnvDefaults(env));
    cl.parseArgs(args);
    return server.config().dbWait();
  }

  @Test
  void issue_7_db_wait_defaults_to_2s_and_comes_from_the_environment_unless_the_flag_is_given() {
    assertThat(dbWait(Map.of())).isEqualTo(Duration.ofSeconds(2));
    assertThat(dbWait(Map.of("BOTFLEET_DB_WAIT", "750ms"))).isEqualTo(Duration.ofMillis(750));
    assertThat(dbWait(Map.of("BOTFLEET_DB_WAIT", "750ms"), "--db-wait", "5s"))
        .isEqualTo(Duration.ofSeconds(5));
  }
}
