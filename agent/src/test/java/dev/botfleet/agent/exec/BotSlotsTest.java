package dev.botfleet.agent.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BotSlotsTest {

  @Test
  void r2_no_more_runs_than_bots() {
    BotSlots slots = new BotSlots(2);
    assertThat(slots.tryAcquire("r1")).isTrue();
    assertThat(slots.tryAcquire("r2")).isTrue();
    assertThat(slots.tryAcquire("r3")).isFalse();
    assertThat(slots.busy()).isEqualTo(2);
    assertThat(slots.free()).isZero();

    assertThat(slots.release("r1")).isTrue();
    assertThat(slots.tryAcquire("r3")).isTrue();
    assertThat(slots.holders()).containsExactly("r2", "r3");
  }

  @Test
  void r2_a_run_holds_at_most_one_slot() {
    BotSlots slots = new BotSlots(3);
    assertThat(slots.tryAcquire("r1")).isTrue();
    assertThat(slots.tryAcquire("r1")).isFalse();
    assertThat(slots.holds("r1")).isTrue();
    assertThat(slots.busy()).isEqualTo(1);

    assertThat(slots.release("r1")).isTrue();
    assertThat(slots.release("r1")).isFalse();
    assertThat(slots.busy()).isZero();
  }

  @Test
  void r2_lowering_capacity_keeps_running_runs_but_starts_no_new_one() {
    BotSlots slots = new BotSlots(2);
    slots.tryAcquire("r1");
    slots.tryAcquire("r2");
    slots.setCapacity(1);

    assertThat(slots.busy()).isEqualTo(2);
    assertThat(slots.capacity()).isEqualTo(1);
    assertThat(slots.free()).isZero();
    slots.release("r1");
    assertThat(slots.tryAcquire("r3")).isFalse();
    slots.release("r2");
    assertThat(slots.tryAcquire("r3")).isTrue();
  }

  @Test
  void r2_a_machine_without_bots_takes_no_runs() {
    BotSlots slots = new BotSlots(0);
    assertThat(slots.tryAcquire("r1")).isFalse();
    assertThatThrownBy(() -> new BotSlots(-1)).hasMessageContaining("bots: -1 (expected: >= 0)");
    assertThatThrownBy(() -> slots.setCapacity(-5)).hasMessageContaining("bots: -5");
  }

  @Test
  void r2_concurrent_acquires_never_exceed_capacity() throws Exception {
    BotSlots slots = new BotSlots(5);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      String runId = "r" + i;
      attempts.add(
          pool.submit(
              () -> {
                go.await();
                return slots.tryAcquire(runId);
              }));
    }
    go.countDown();
    int granted = 0;
    for (Future<Boolean> attempt : attempts) {
      granted += attempt.get(5, TimeUnit.SECONDS) ? 1 : 0;
    }
    pool.shutdown();
    assertThat(granted).isEqualTo(5);
    assertThat(slots.busy()).isEqualTo(5);
  }
}
