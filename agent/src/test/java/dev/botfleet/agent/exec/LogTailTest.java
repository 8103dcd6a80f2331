package dev.botfleet.agent.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LogTailTest {

  private static void append(LogTail tail, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    tail.append(bytes, 0, bytes.length);
  }

  @Test
  void a4_log_tail_keeps_everything_until_full() {
    LogTail tail = new LogTail(10);
    append(tail, "abc");
    append(tail, "def");
    assertThat(tail.text()).isEqualTo("abcdef");
    assertThat(tail.truncated()).isFalse();
    assertThat(tail.total()).isEqualTo(6);
  }

  @Test
  void a4_log_tail_keeps_the_last_bytes_across_wrap_arounds() {
    LogTail tail = new LogTail(5);
    append(tail, "abc");
    append(tail, "defg");
    assertThat(tail.text()).isEqualTo("cdefg");
    append(tail, "h");
    assertThat(tail.text()).isEqualTo("defgh");
    append(tail, "0123456789");
    assertThat(tail.text()).isEqualTo("56789");
    assertThat(tail.truncated()).isTrue();
    assertThat(tail.total()).isEqualTo(18);
  }

  @Test
  void a4_log_tail_skips_a_character_cut_in_half_and_replaces_malformed_bytes() {
    LogTail tail = new LogTail(5);
    append(tail, "ééé"); // 6 bytes: the first é loses its first byte
    assertThat(tail.text()).isEqualTo("éé");

    LogTail raw = new LogTail(8);
    raw.append(new byte[] {'a', (byte) 0xff, 'b'}, 0, 3);
    assertThat(raw.text()).isEqualTo("a\uFFFDb");
  }

  @Test
  void a4_log_tail_capacity_must_be_positive() {
    assertThatThrownBy(() -> new LogTail(0)).hasMessageContaining("capacity: 0 (expected: >= 1)");
  }
}
