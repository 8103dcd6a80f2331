package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void a6_delays_double_from_half_a_second_up_to_fifteen_seconds() {
    Backoff backoff = new Backoff(Backoff.INITIAL, Backoff.MAX, () -> 0.999999);
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      millis.add(backoff.next().toMillis());
    }
    assertThat(millis)
        .containsExactly(499L, 999L, 1999L, 3999L, 7999L, 14999L, 14999L, 14999L, 14999L, 14999L);
  }

  @Test
  void a6_jitter_draws_each_delay_from_the_upper_half() {
    Backoff low = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), () -> 0.0);
    assertThat(low.next()).isEqualTo(Duration.ofMillis(500));
    assertThat(low.next()).isEqualTo(Duration.ofMillis(1000));
    Backoff real = new Backoff();
    for (int i = 0; i < 50; i++) {
      Duration d = real.next();
      assertThat(d).isGreaterThan(Duration.ZERO).isLessThanOrEqualTo(Backoff.MAX);
    }
  }

  @Test
  void a6_reset_after_a_welcome_starts_over() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), () -> 0.999999);
    backoff.next();
    backoff.next();
    backoff.next();
    backoff.reset();
    assertThat(backoff.next()).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void bounds_are_checked() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("expected: > 0");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("expected: >= initial");
  }
}
