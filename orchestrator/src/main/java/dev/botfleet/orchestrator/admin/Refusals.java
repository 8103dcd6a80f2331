package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * O4, issue 12 §2: every refusal of authentication or permission is audited, aggregated so a flood
 * cannot fill the log. A refusal only counts in memory; each (action, source, who, method, reason)
 * gets one audit row per {@link #WINDOW} with the count, written when its window closes (by the
 * flush task every {@link #FLUSH_EVERY}, and by {@link #close}). At most {@link #MAX_KEYS} keys are
 * open at once; refusals past that count in one overflow row, so memory and rows stay bounded
 * whatever a caller sends.
 */
public final class Refusals implements AutoCloseable {
  public static final Duration WINDOW = Duration.ofMinutes(1);
  public static final Duration FLUSH_EVERY = Duration.ofSeconds(10);
  public static final int MAX_KEYS = 10_000;

  /** Audit action of an authentication refusal (UNAUTHENTICATED, or throttled for failing). */
  public static final String AUTHENTICATION = "refusal.authentication";

  /** Audit action of a permission refusal (PERMISSION_DENIED). */
  public static final String PERMISSION = "refusal.permission";

  private static final Logger log = LoggerFactory.getLogger(Refusals.class);

  /**
   * What one row aggregates.
   *
   * @param action {@link #AUTHENTICATION} or {@link #PERMISSION}
   * @param source the caller's network address, without the port
   * @param who the principal's name, or the first characters of the token it sent, never the token
   * @param method the full gRPC method name
   * @param reason the ErrorReason of the refusal
   */
  public record Key(String action, String source, String who, String method, String reason) {}

  private static final class Window {
    final Instant start;
    long count;

    Window(Instant start) {
      this.start = start;
    }
  }

  private final Transactions tx;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<Key, Window> open = new LinkedHashMap<>();
  private ScheduledExecutorService flusher;

  public Refusals(Transactions tx, AuditLog audit, Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Counts one refusal; no database work on the caller's thread. */
  public void refused(Key key) {
    requireNonNull(key, "key");
    Instant now = clock.instant();
    synchronized (open) {
      Window w = open.get(key);
      if (w == null) {
        if (open.size() >= MAX_KEYS) {
          key = new Key(key.action(), "*", "*", "*", "OVERFLOW");
          w = open.get(key);
        }
        if (w == null) {
          w = new Window(now);
          open.put(key, w);
        }
      }
      w.count++;
    }
  }

  /** Writes the rows of the windows that have closed. */
  public void flush() {
    write(take(false));
  }

  /** Writes every open window now (close, tests). */
  public void flushAll() {
    write(take(true));
  }

  private List<Map.Entry<Key, Window>> take(boolean all) {
    Instant closed = clock.instant().minus(WINDOW);
    List<Map.Entry<Key, Window>> due = new ArrayList<>();
    synchronized (open) {
      for (Iterator<Map.Entry<Key, Window>> it = open.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Key, Window> e = it.next();
        if (all || !e.getValue().start.isAfter(closed)) {
          due.add(Map.entry(e.getKey(), e.getValue()));
          it.remove();
        }
      }
    }
    return due;
  }

  private void write(List<Map.Entry<Key, Window>> due) {
    if (due.isEmpty()) {
      return;
    }
    try {
      tx.run(
          () -> {
            for (Map.Entry<Key, Window> e : due) {
              Key k = e.getKey();
              audit.append(
                  e.getValue().start,
                  clip(k.who(), 64),
                  k.action(),
                  clip("method=" + k.method() + " source=" + k.source(), 256),
                  null,
                  "reason=" + k.reason() + " count=" + e.getValue().count);
            }
          });
    } catch (RuntimeException ex) {
      // The database is away: the counts are logged instead, one line per flush.
      long total = due.stream().mapToLong(e -> e.getValue().count).sum();
      log.warn(
          "event=refusal_audit_failed rows={} refusals={} error={}",
          due.size(),
          total,
          ex.toString());
    }
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  /** Starts the flush task (DESIGN "Conventions": threads start in start()). */
  public synchronized void start() {
    if (flusher != null) {
      return;
    }
    flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "refusal-audit");
              t.setDaemon(true);
              return t;
            });
    long every = FLUSH_EVERY.toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("event=refusal_audit_failed error={}", e.toString());
    }
  }

  /** Stops the flush task and writes what is still open. */
  @Override
  public synchronized void close() {
    if (flusher != null) {
      flusher.shutdownNow();
      flusher = null;
    }
    flushAll();
  }
}
