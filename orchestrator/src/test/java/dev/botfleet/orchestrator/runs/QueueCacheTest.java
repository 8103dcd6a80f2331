package dev.botfleet.orchestrator.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.testing.Runs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9 target 2, R3: the dispatcher's copy of the queues never hands out a run while a run ahead
 * of it in its target's queue is still queued, whatever this replica saw or missed. A seeded random
 * walk over submissions seen and unseen (another replica), runs that left the queue with and
 * without an event, and passes that claim what they get, against a model of the database.
 */
class QueueCacheTest {
  private static final String[] TARGETS = {"m1", "m2", "g1"};

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 2026})
  void r3_a_pass_gets_a_prefix_of_each_queue_and_misses_nothing_it_was_told(long seed) {
    Random random = new Random(seed);
    QueueCache cache = new QueueCache();
    Map<String, TreeMap<QueueCache.Key, Run>> db = new HashMap<>();
    for (String t : TARGETS) {
      db.put(t, new TreeMap<>());
    }
    Instant clock = Instant.parse("2026-12-02T00:00:00Z");
    AtomicInteger loads = new AtomicInteger();
    int ids = 0;
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(100);
      String target = TARGETS[random.nextInt(TARGETS.length)];
      clock = clock.plus(Duration.ofNanos(random.nextInt(3_000)));
      if (op == 99 && random.nextInt(3) == 0) {
        // A burst longer than one load, here or through another replica: horizons come into play.
        boolean here = random.nextBoolean();
        for (int i = 0; i < QueueCache.LOAD + 200; i++) {
          clock = clock.plus(Duration.ofNanos(1_000 + random.nextInt(3_000)));
          Run r = queued("run-" + ids++, target, priority(random), clock);
          db.get(target).put(QueueCache.Key.of(r), r);
          if (here) {
            cache.add(r);
          }
        }
        if (!here) {
          cache.forgetAll();
        }
      } else if (op < 40) {
        // Submitted here: committed, then the event.
        Run r = queued("run-" + ids++, target, priority(random), clock);
        db.get(target).put(QueueCache.Key.of(r), r);
        cache.add(r);
      } else if (op < 45) {
        // Submitted through another replica: LISTEN/NOTIFY says something was queued.
        Run r = queued("run-" + ids++, target, priority(random), clock);
        db.get(target).put(QueueCache.Key.of(r), r);
        cache.forgetAll();
      } else if (op < 50) {
        // Cancelled or timed out here: the ended event.
        Run r = any(db.get(target), random);
        if (r != null) {
          db.get(target).remove(QueueCache.Key.of(r));
          cache.remove(r.id());
        }
      } else if (op < 53) {
        // Claimed or ended by another replica: no event here.
        Run r = any(db.get(target), random);
        if (r != null) {
          db.get(target).remove(QueueCache.Key.of(r));
        }
      } else {
        Map<String, Integer> limits = new HashMap<>();
        for (String t : TARGETS) {
          if (random.nextBoolean()) {
            limits.put(t, 1 + random.nextInt(random.nextInt(10) < 8 ? 5 : QueueCache.LOAD));
          }
        }
        List<Run> got =
            cache.take(
                limits,
                want -> {
                  loads.incrementAndGet();
                  List<Run> rows = new ArrayList<>();
                  want.forEach((t, n) -> db.get(t).values().stream().limit(n).forEach(rows::add));
                  return rows;
                });
        for (String t : limits.keySet()) {
          List<Run> mine = got.stream().filter(r -> r.target().id().equals(t)).toList();
          List<Run> live = mine.stream().filter(r -> db.get(t).containsValue(r)).toList();
          List<Run> head = db.get(t).values().stream().limit(live.size()).toList();
          assertThat(live)
              .as("step %d target %s: queued runs, in order, none skipped", step, t)
              .containsExactlyElementsOf(head);
          assertThat(mine.size()).isLessThanOrEqualTo(limits.get(t));
          if (mine.size() == live.size()) {
            // Nothing stale was handed out: the pass got all it could take.
            assertThat(live.size()).isEqualTo(Math.min(limits.get(t), db.get(t).size()));
          }
          // The dispatcher's side of a pass: claims win for queued runs, lose for stale ones.
          List<Run> won = new ArrayList<>();
          for (Run r : mine) {
            if (db.get(t).remove(QueueCache.Key.of(r)) != null) {
              won.add(r);
            } else {
              cache.forget(t);
            }
          }
          cache.removeAll(won);
        }
      }
    }
    // The copy saved reads: most passes were served from memory.
    assertThat(loads.get()).isLessThan(20_000 * 47 / 100 / 2);
  }

  @ParameterizedTest(name = "{0} runs")
  @ValueSource(ints = {QueueCache.CAP - 1, QueueCache.CAP + 100, 3 * QueueCache.CAP})
  void r3_a_queue_longer_than_the_copy_is_still_handed_out_in_order(int n) {
    QueueCache cache = new QueueCache();
    TreeMap<QueueCache.Key, Run> db = new TreeMap<>();
    Instant t0 = Instant.parse("2026-12-02T00:00:00Z");
    Random random = new Random(n);
    for (int i = 0; i < n; i++) {
      Run r = queued("run-" + i, "m1", priority(random), t0.plusMillis(i));
      db.put(QueueCache.Key.of(r), r);
      cache.add(r);
    }
    while (!db.isEmpty()) {
      int want = 1 + random.nextInt(QueueCache.LOAD);
      List<Run> got =
          cache.take(
              Map.of("m1", want),
              w -> new ArrayList<>(db.values().stream().limit(w.get("m1")).toList()));
      assertThat(got).containsExactlyElementsOf(db.values().stream().limit(want).toList());
      got.forEach(r -> db.remove(QueueCache.Key.of(r)));
      cache.removeAll(got);
    }
    assertThat(cache.size()).isZero();
  }

  @org.junit.jupiter.api.Test
  void a_run_is_handed_out_once_when_its_stored_time_stamp_differs_from_the_event() {
    QueueCache cache = new QueueCache();
    Instant at = Instant.parse("2026-12-02T00:00:00.123456789Z");
    Run fromEvent = queued("run-1", "m1", Priority.NORMAL, at);
    // Both databases round to the microsecond; the copy's key truncates.
    Run asStored =
        queued("run-1", "m1", Priority.NORMAL, Instant.parse("2026-12-02T00:00:00.123457Z"));
    cache.add(fromEvent);
    List<Run> got = cache.take(Map.of("m1", 5), w -> List.of(asStored));
    assertThat(got).extracting(Run::id).containsExactly("run-1");
    cache.forgetAll();
    assertThat(cache.take(Map.of("m1", 5), w -> List.of(asStored)))
        .extracting(Run::id)
        .containsExactly("run-1");
    assertThat(cache.size()).isEqualTo(1);
  }

  private static Run queued(String id, String target, Priority priority, Instant at) {
    return Runs.queued(id, "env-1", target, priority, Map.of(), at, null, false);
  }

  private static Priority priority(Random random) {
    return Priority.values()[random.nextInt(Priority.values().length)];
  }

  private static Run any(TreeMap<QueueCache.Key, Run> queue, Random random) {
    if (queue.isEmpty()) {
      return null;
    }
    int skip = random.nextInt(Math.min(queue.size(), 50));
    return queue.values().stream().skip(skip).findFirst().orElseThrow();
  }
}
