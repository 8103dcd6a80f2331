package dev.botfleet.orchestrator.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs one line per event kind at most once per interval, with how many were suppressed since, so a
 * client sending garbage in a loop cannot fill the log (issue 7). No stack traces.
 */
final class RateLimitedLog {
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

  RateLimitedLog(Logger log, long interval, TimeUnit unit) {
    this.log = log;
    this.intervalNanos = unit.toNanos(interval);
  }

  /**
   * Warns {@code event=<event> <details> suppressed=<n>} unless this event was logged within the
   * interval.
   */
  void warn(String event, String details) {
    long now = System.nanoTime();
    Window w = windows.get(event);
    if (w == null) {
      Window fresh = new Window(now);
      w = windows.putIfAbsent(event, fresh);
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
