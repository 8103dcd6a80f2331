package dev.botfleet.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 9: a shared read never answers a caller with a value read before the call began (so a
 * revocation committed before a call is seen by it), and concurrent callers share reads.
 */
class SharedReadTest {
  @Test
  void every_answer_was_read_after_its_call_began_and_concurrent_calls_share_reads()
      throws Exception {
    // The "database": a counter bumped by writers; a read returns it after a pause.
    AtomicLong committed = new AtomicLong();
    AtomicInteger reads = new AtomicInteger();
    SharedRead<Long> shared =
        new SharedRead<>(
            () -> {
              reads.incrementAndGet();
              long v = committed.get();
              sleep(2);
              return v;
            });
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> calls = new ArrayList<>();
      int n = 4000;
      for (int i = 0; i < n; i++) {
        calls.add(
            pool.submit(
                () -> {
                  long before = committed.incrementAndGet(); // committed before the call
                  long seen = shared.get();
                  assertThat(seen)
                      .as("a value read after the call began")
                      .isGreaterThanOrEqualTo(before);
                }));
      }
      for (Future<?> f : calls) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(reads.get()).as("reads shared by concurrent calls").isLessThan(n / 2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void a_failed_read_fails_its_callers_and_the_next_call_reads_again() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    CountDownLatch inRead = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SharedRead<Integer> shared =
        new SharedRead<>(
            () -> {
              int r = reads.incrementAndGet();
              if (r == 1) {
                inRead.countDown();
                await(release);
                throw new IllegalStateException("database away");
              }
              return r;
            });
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> first = pool.submit(shared::get);
      inRead.await(10, TimeUnit.SECONDS);
      // Arrives during the failing read: it must not get that read's answer, failed or not.
      Future<Integer> second = pool.submit(shared::get);
      Thread.sleep(50);
      release.countDown();
      assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IllegalStateException.class);
      assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(2);
      assertThat(shared.get()).isEqualTo(3);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
