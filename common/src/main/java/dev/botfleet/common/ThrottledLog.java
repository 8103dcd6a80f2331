package dev.botfleet.common;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs a failure that repeats — a background writer retrying while the database is down — at most
 * once per interval instead of once per attempt, and once more when it recovers (issue 7).
 *
 * <p>The first failure of an episode is logged at once; later ones only as a summary every {@code
 * interval} ({@code failures=N failing_for=…}); {@link #succeeded()} after failures logs {@code
 * <event>_recovered}. A failure after a quiet interval starts a new episode. Monotonic time, not
 * the injected clock, so a fixed test clock does not silence it.
 */
public final class ThrottledLog {
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

  private final Logger log;
  private final String event;
  private final String recoveredEvent;
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private boolean failing;
  private long failures;
  private long since;
  private long lastLogged;
  private long lastFailure;

  /**
   * {@code event} names the failure, e.g. {@code sweep_failed}; recovery logs {@code
   * sweep_recovered}.
   */
  public ThrottledLog(Logger log, String event) {
    this(log, event, DEFAULT_INTERVAL, System::nanoTime);
  }

  public ThrottledLog(Logger log, String event, Duration interval) {
    this(log, event, interval, System::nanoTime);
  }

  ThrottledLog(Logger log, String event, Duration interval, LongSupplier nanoTime) {
    this.log = requireNonNull(log, "log");
    this.event = requireNonNull(event, "event");
    this.recoveredEvent =
        (event.endsWith("_failed") ? event.substring(0, event.length() - 7) : event) + "_recovered";
    this.intervalNanos = interval.toNanos();
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * One failed attempt; logs it if it starts an episode or the interval since the last line passed.
   */
  public void failed(Throwable error) {
    String text = String.valueOf(error);
    long now = nanoTime.getAsLong();
    boolean first;
    long n;
    long forSeconds;
    synchronized (this) {
      first = !failing || now - lastFailure > intervalNanos;
      lastFailure = now;
      if (first) {
        failing = true;
        failures = 1;
        since = now;
        lastLogged = now;
      } else {
        failures++;
        if (now - lastLogged < intervalNanos) {
          return;
        }
        lastLogged = now;
      }
      n = failures;
      forSeconds = (now - since) / 1_000_000_000L;
    }
    if (first) {
      log.warn(
          "event={} error={} (repeats are logged at most every {}s)",
          event,
          text,
          intervalNanos / 1_000_000_000L);
    } else {
      log.warn("event={} failures={} failing_for={}s error={}", event, n, forSeconds, text);
    }
  }

  /** A successful attempt; logs the recovery if it ends an episode of failures. */
  public void succeeded() {
    long n;
    long forSeconds;
    synchronized (this) {
      if (!failing) {
        return;
      }
      failing = false;
      n = failures;
      forSeconds = (nanoTime.getAsLong() - since) / 1_000_000_000L;
    }
    log.info("event={} failures={} failed_for={}s", recoveredEvent, n, forSeconds);
  }
}
