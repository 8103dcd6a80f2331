package dev.botfleet.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GroupCommitTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void each_caller_gets_its_own_answer_once_its_batch_is_written() {
    List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    try (GroupCommit<Integer, String> commit =
        new GroupCommit<>(
            "test-writer",
            100,
            batch -> {
              batches.add(List.copyOf(batch));
              return batch.stream().map(i -> "ok" + i).toList();
            })) {
      commit.start();

      assertThat(commit.submit(1, WAIT)).isEqualTo("ok1");
      assertThat(commit.submit(2, WAIT)).isEqualTo("ok2");
    }
    assertThat(batches).containsExactly(List.of(1), List.of(2));
  }

  @Test
  void batches_are_bounded_by_weight_and_several_writers_drain_one_queue() throws Exception {
    CountDownLatch bothWriting = new CountDownLatch(2);
    List<Integer> weights = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    GroupCommit<List<Integer>, Integer> commit =
        new GroupCommit<>(
            "weighted",
            2,
            10,
            List::size,
            batch -> {
              threads.add(Thread.currentThread().getName());
              weights.add(batch.stream().mapToInt(List::size).sum());
              bothWriting.countDown();
              // Each writer holds its first batch until the other has one too.
              await(bothWriting);
              return batch.stream().map(List::size).toList();
            },
            null,
            ErrorReason.M5_SHUTTING_DOWN);
    commit.start();
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        answers.add(callers.submit(() -> commit.submit(List.of(1, 2, 3, 4), WAIT)));
      }
      for (Future<Integer> f : answers) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(4);
      }
    } finally {
      callers.shutdownNow();
      commit.close();
    }
    // A batch stops at the first item that reaches the bound: at most 4 + 4 + 4 = 12 when the
    // second item left it at 8, never a fourth item.
    assertThat(weights).allMatch(w -> w <= 12).hasSizeGreaterThanOrEqualTo(2);
    assertThat(threads).contains("weighted-0", "weighted-1");
    assertThatThrownBy(() -> commit.submitAsync(List.of(1)))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> assertThat(e.reason()).isEqualTo(ErrorReason.M5_SHUTTING_DOWN));
  }

  @Test
  void concurrent_callers_share_batches_no_larger_than_the_maximum() throws Exception {
    CountDownLatch firstBatchEntered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    GroupCommit<Integer, Integer> commit =
        new GroupCommit<>(
            "test-writer",
            3,
            batch -> {
              sizes.add(batch.size());
              firstBatchEntered.countDown();
              await(release);
              return batch.stream().map(i -> i * 10).toList();
            });
    commit.start();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      answers.add(callers.submit(() -> commit.submit(0, WAIT)));
      assertThat(firstBatchEntered.await(5, TimeUnit.SECONDS)).isTrue();
      for (int i = 1; i < 8; i++) {
        int item = i;
        answers.add(callers.submit(() -> commit.submit(item, WAIT)));
      }
      Thread.sleep(200); // let the seven queue up behind the blocked first batch
      release.countDown();
      for (int i = 0; i < 8; i++) {
        assertThat(answers.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(i * 10);
      }
    } finally {
      callers.shutdownNow();
      commit.close();
    }
    assertThat(sizes).allSatisfy(n -> assertThat(n).isBetween(1, 3));
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(8);
    assertThat(sizes.size()).isLessThan(8);
  }

  @Test
  void a_failed_batch_fails_every_caller_in_it_and_the_next_batch_still_runs() {
    try (GroupCommit<Integer, Integer> commit =
        new GroupCommit<>(
            "test-writer",
            10,
            batch -> {
              if (batch.contains(13)) {
                throw new IllegalStateException("unlucky batch");
              }
              return batch;
            })) {
      commit.start();

      assertThatThrownBy(() -> commit.submit(13, WAIT))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("unlucky batch");
      assertThat(commit.submit(7, WAIT)).isEqualTo(7);
    }
  }

  @Test
  void nothing_is_written_before_start_and_nothing_after_close() {
    GroupCommit<Integer, Integer> commit = new GroupCommit<>("test-writer", 10, batch -> batch);

    assertThatThrownBy(() -> commit.submit(1, WAIT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not started");

    commit.start();
    commit.close();
    assertThatThrownBy(() -> commit.submit(1, WAIT))
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("shutting down");
  }

  @Test
  void an_async_caller_is_answered_after_its_batch_committed() throws Exception {
    try (GroupCommit<Integer, Integer> commit =
        new GroupCommit<>("test-writer", 10, batch -> batch.stream().map(i -> i + 1).toList())) {
      commit.start();

      assertThat(commit.submitAsync(41).get(5, TimeUnit.SECONDS)).isEqualTo(42);
    }
  }

  @Test
  void with_retry_a_failed_batch_is_written_again_and_answered_once_it_succeeds() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    List<RuntimeException> failures = new CopyOnWriteArrayList<>();
    AtomicInteger successes = new AtomicInteger();
    try (GroupCommit<Integer, Integer> commit =
        new GroupCommit<>(
            "test-writer",
            10,
            batch -> {
              if (attempts.incrementAndGet() < 3) {
                throw new IllegalStateException("database away");
              }
              return batch;
            },
            new GroupCommit.Retry(
                Duration.ofMillis(10), failures::add, successes::incrementAndGet))) {
      commit.start();

      assertThat(commit.submitAsync(5).get(5, TimeUnit.SECONDS)).isEqualTo(5);
    }
    assertThat(attempts).hasValue(3);
    assertThat(failures).hasSize(2).allSatisfy(e -> assertThat(e).hasMessage("database away"));
    assertThat(successes).hasValue(1);
  }

  @Test
  void with_retry_what_is_still_unwritten_at_close_fails_as_shutting_down() {
    GroupCommit<Integer, Integer> commit =
        new GroupCommit<>(
            "test-writer",
            10,
            batch -> {
              throw new IllegalStateException("database away");
            },
            new GroupCommit.Retry(Duration.ofMillis(10), e -> {}, () -> {}));
    commit.start();
    var pending = commit.submitAsync(1);

    commit.close(); // gives up after its join time-out at the latest

    assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(BotfleetException.class);
  }

  @Test
  void a_batch_size_below_one_is_refused() {
    assertThatThrownBy(() -> new GroupCommit<Integer, Integer>("w", 0, b -> b))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatch: 0 (expected: >= 1)");
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
