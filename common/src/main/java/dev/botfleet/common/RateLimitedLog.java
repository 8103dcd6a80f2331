package dev.botfleet.common;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs one line per key (an event kind, or an event and a machine) at most once per interval, with
 * how many were suppressed since, so a client sending garbage in a loop cannot fill the log (issue
 * 7). No stack traces. Monotonic time, not an injected clock. For a failure that repeats until it
 * recovers, {@link ThrottledLog} also says when it recovered.
 */
public final class RateLimitedLog {
  private final Logger log;
  private final long intervalNanos;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    volatile long lastNanos;
    final AtomicLong suppressed = new AtomicLong();

    Window(long lastNanos) {
      this.lastNanos = lastNanos;
    }
  }

  public RateLimitedLog(Logger log, long interval, TimeUnit unit) {
    this.log = log;
    this.intervalNanos = unit.toNanos(interval);
  }

  /**
   * Warns {@code event=<event> <details> suppressed=<n>} unless this event was logged within the
   * interval.
   */
  public void warn(String event, String details) {
    warn(event, event, details);
  }

  /** As {@link #warn(String, String)}, with one window per {@code key} (e.g. event and machine). */
  public void warn(String key, String event, String details) {
    long now = System.nanoTime();
    Window w = windows.get(key);
    if (w == null) {
      Window fresh = new Window(now);
      w = windows.putIfAbsent(key, fresh);
      if (w == null) {
        log.warn("event={} {} suppressed=0", event, details);
        return;
      }
    }
    synchronized (w) {
      if (now - w.lastNanos < intervalNanos) {
        w.suppressed.incrementAndGet();
        return;
      }
      w.lastNanos = now;
    }
    log.warn("event={} {} suppressed={}", event, details, w.suppressed.getAndSet(0));
  }
}
