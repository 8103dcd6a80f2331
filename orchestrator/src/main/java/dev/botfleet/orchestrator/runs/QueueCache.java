package dev.botfleet.orchestrator.runs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The dispatcher's copy of the head of each target's queue (issue 9, target 2), so a pass that
 * assigns a run this replica just queued reads nothing: the claim is the pass's only statement.
 *
 * <p>The database stays the queue. This copy is kept current by this replica's own events (queued,
 * ended) and is trusted only as far as it is known to be complete: per target, either every queued
 * run of the target is here ({@code complete}), or every queued run up to a {@code horizon} in
 * queue order is, because it was read from the database; runs behind the horizon are loaded before
 * any of them is dispatched, so R3's order holds across what is cached and what is not. Whatever
 * this replica cannot follow (a run queued or re-queued through another replica, a run that went
 * back to the queue here, a claim that lost) makes the target's copy, or every copy, unknown again,
 * and the next pass reads it from the database as before. A stale entry (a run another replica
 * claimed or ended) costs one claim that loses; the claim's conditions decide, never this copy.
 *
 * <p>Thread-safe: events come from gRPC and writer threads, passes from the dispatcher thread;
 * loads run outside the lock.
 */
final class QueueCache {
  /** Rows read per target when its copy must be loaded. */
  static final int LOAD = 512;

  /** Runs kept per target; an arrival beyond this is left to the database. */
  static final int CAP = 4 * LOAD;

  /**
   * Queue order (R3): priority first, then submission time (stored to the microsecond, see
   * RunService), then the id for runs submitted in the same microsecond.
   */
  static final Comparator<Run> ORDER =
      Comparator.comparingInt((Run r) -> -r.priority().weight())
          .thenComparing(Run::submittedAt)
          .thenComparing(Run::id);

  /** A run's place in {@link #ORDER}. */
  record Key(int priority, Instant submittedAt, String id) implements Comparable<Key> {
    static Key of(Run run) {
      return new Key(run.priority().weight(), run.submittedAt(), run.id());
    }

    @Override
    public int compareTo(Key o) {
      int c = Integer.compare(o.priority, priority);
      if (c != 0) {
        return c;
      }
      c = submittedAt.compareTo(o.submittedAt);
      return c != 0 ? c : id.compareTo(o.id);
    }
  }

  private record Entry(Run run, long generation) {}

  private static final class TargetQueue {
    final TreeMap<Key, Entry> runs = new TreeMap<>();

    /** Every queued run of the target is in {@link #runs}. */
    boolean complete;

    /** When not complete: runs up to this key are all here (null: nothing is known). */
    Key horizon;

    /**
     * The first in queue order of the arrivals not kept (the copy was full) since the last load.
     */
    Key minDropped;

    void dropped(Key k) {
      if (minDropped == null || k.compareTo(minDropped) < 0) {
        minDropped = k;
      }
      if (dispatchable(k)) {
        // What is known to be complete now ends just before the run left out.
        complete = false;
        horizon = runs.lowerKey(k);
      }
    }

    boolean dispatchable(Key k) {
      return complete || horizon != null && k.compareTo(horizon) <= 0;
    }

    void forget() {
      complete = false;
      horizon = null;
    }
  }

  private final Map<String, TargetQueue> queues = new HashMap<>();

  private record Located(String target, Key key) {}

  private final Map<String, Located> located = new HashMap<>();
  private long generation;

  /** This replica queued the run (after its commit). */
  synchronized void add(Run run) {
    String target = run.target().id();
    TargetQueue q = queues.computeIfAbsent(target, t -> new TargetQueue());
    Key k = Key.of(run);
    if (q.runs.size() >= CAP && !q.runs.containsKey(k)) {
      Key tail = q.runs.lastKey();
      if (k.compareTo(tail) > 0) {
        q.dropped(k);
        return;
      }
      // Full: the run ahead in queue order is kept, the last one is left to the database.
      located.remove(q.runs.remove(tail).run().id());
      q.dropped(tail);
    }
    forgetEntry(run.id(), k);
    q.runs.put(k, new Entry(run, ++generation));
    located.put(run.id(), new Located(target, k));
  }

  /** One entry per run: an entry of the run under another key (another time stamp) goes. */
  private void forgetEntry(String runId, Key keep) {
    Located l = located.get(runId);
    if (l != null && !l.key().equals(keep)) {
      TargetQueue old = queues.get(l.target());
      if (old != null) {
        old.runs.remove(l.key());
      }
      located.remove(runId);
    }
  }

  /** The run left the queue (claimed here, ended, cancelled, timed out while queued). */
  synchronized void remove(String runId) {
    Located l = located.remove(runId);
    if (l == null) {
      return;
    }
    TargetQueue q = queues.get(l.target());
    if (q != null) {
      q.runs.remove(l.key());
    }
  }

  /** Runs removed in one go, e.g. the claims a pass won. */
  synchronized void removeAll(Collection<Run> runs) {
    for (Run r : runs) {
      TargetQueue q = queues.get(r.target().id());
      if (q != null) {
        q.runs.remove(Key.of(r));
      }
      located.remove(r.id());
    }
  }

  /** The target's copy is no longer known to be right (a claim for one of its runs lost). */
  synchronized void forget(String targetId) {
    TargetQueue q = queues.get(targetId);
    if (q != null) {
      q.forget();
    }
  }

  /** Nothing is known any more: runs were queued or re-queued in ways this replica cannot see. */
  synchronized void forgetAll() {
    queues.values().forEach(TargetQueue::forget);
  }

  /**
   * For each target, up to its limit (at most {@link #LOAD}) of queued runs in queue order, fewer
   * only when some of the runs it holds are stale: from the copy where it is known to hold them,
   * else from {@code load} (one call for all such targets, each with a limit of {@link #LOAD}),
   * whose result becomes the target's copy.
   */
  List<Run> take(
      Map<String, Integer> limitPerTarget, Function<Map<String, Integer>, List<Run>> load) {
    List<Run> result = new ArrayList<>();
    Map<String, Integer> toLoad = new HashMap<>();
    long loadStarted;
    synchronized (this) {
      for (Map.Entry<String, Integer> t : limitPerTarget.entrySet()) {
        TargetQueue q = queues.get(t.getKey());
        int want = Math.min(t.getValue(), LOAD);
        if (q == null || !headKnown(q, want)) {
          toLoad.put(t.getKey(), LOAD);
        } else {
          head(q, want, result);
        }
      }
      for (String t : toLoad.keySet()) {
        queues.computeIfAbsent(t, k -> new TargetQueue()).minDropped = null;
      }
      loadStarted = generation;
    }
    if (toLoad.isEmpty()) {
      return result;
    }
    List<Run> loaded = load.apply(toLoad);
    Map<String, List<Run>> byTarget = new HashMap<>();
    for (Run r : loaded) {
      byTarget.computeIfAbsent(r.target().id(), k -> new ArrayList<>()).add(r);
    }
    synchronized (this) {
      for (String t : toLoad.keySet()) {
        List<Run> rows = byTarget.getOrDefault(t, List.of());
        TargetQueue q = queues.computeIfAbsent(t, k -> new TargetQueue());
        Set<String> seen = new HashSet<>();
        Key last = null;
        for (Run r : rows) {
          seen.add(r.id());
          Key k = Key.of(r);
          last = last == null || k.compareTo(last) > 0 ? k : last;
        }
        boolean readAll = rows.size() < LOAD;
        // What the copy held before the read and the read did not return left the queue meanwhile
        // (only runs up to the last row read: the read stopped there). Arrivals during the read
        // stay: the read may have been too early to see them.
        Iterator<Map.Entry<Key, Entry>> it = q.runs.entrySet().iterator();
        while (it.hasNext()) {
          Map.Entry<Key, Entry> e = it.next();
          boolean covered = readAll || e.getKey().compareTo(last) <= 0;
          if (covered
              && e.getValue().generation() <= loadStarted
              && !seen.contains(e.getKey().id())) {
            it.remove();
            located.remove(e.getKey().id());
          }
        }
        // The rows as read replace what the copy held (they are the newer); when the copy is full,
        // a row read goes before an arrival behind it, which is left to the database.
        Key missing = q.minDropped;
        for (Run r : rows) {
          Key k = Key.of(r);
          if (q.runs.size() >= CAP && !q.runs.containsKey(k)) {
            Key tail = q.runs.lastKey();
            if (k.compareTo(tail) > 0) {
              missing = missing == null || k.compareTo(missing) < 0 ? k : missing;
              continue;
            }
            located.remove(q.runs.remove(tail).run().id());
            missing = missing == null || tail.compareTo(missing) < 0 ? tail : missing;
          }
          forgetEntry(r.id(), k);
          q.runs.put(k, new Entry(r, loadStarted));
          located.put(r.id(), new Located(t, k));
        }
        q.minDropped = null;
        if (readAll && missing == null) {
          q.complete = true;
          q.horizon = null;
        } else {
          q.complete = false;
          Key bound = readAll ? null : last;
          if (missing != null && (bound == null || missing.compareTo(bound) <= 0)) {
            bound = q.runs.lowerKey(missing);
          }
          q.horizon = bound;
        }
        head(q, Math.min(limitPerTarget.get(t), LOAD), result);
      }
    }
    return result;
  }

  /** Whether the copy holds the first {@code want} runs of the target's queue, or all of it. */
  private static boolean headKnown(TargetQueue q, int want) {
    if (q.complete) {
      return true;
    }
    if (q.horizon == null) {
      return false;
    }
    int n = 0;
    for (Key k : q.runs.keySet()) {
      if (n >= want) {
        return true;
      }
      if (k.compareTo(q.horizon) > 0) {
        return false;
      }
      n++;
    }
    return n >= want;
  }

  private static void head(TargetQueue q, int want, List<Run> into) {
    int n = 0;
    for (Map.Entry<Key, Entry> e : q.runs.entrySet()) {
      if (n >= want || !q.dispatchable(e.getKey())) {
        return;
      }
      into.add(e.getValue().run());
      n++;
    }
  }

  /** Runs held, over all targets (tests). */
  synchronized int size() {
    int n = 0;
    for (TargetQueue q : queues.values()) {
      n += q.runs.size();
    }
    return n;
  }
}
