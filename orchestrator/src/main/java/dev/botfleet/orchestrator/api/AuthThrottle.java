package dev.botfleet.orchestrator.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Issue 12 §2: failed authentication is rate-limited per source address. After {@code maxFailures}
 * failures within {@code window} of the first, the source is refused at once, without looking its
 * token up, until that window ends. A success does not reset the count (a source holding one good
 * token could otherwise keep guessing). At most {@link #MAX_SOURCES} sources are tracked; past that
 * the ended windows are dropped, then the oldest half.
 */
final class AuthThrottle {
  static final int DEFAULT_MAX_FAILURES = 20;
  static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
  static final int MAX_SOURCES = 100_000;

  private final Clock clock;
  private final int maxFailures;
  private final Duration window;
  private final Map<String, Window> sources = new HashMap<>();

  private record Window(Instant start, int failures) {}

  AuthThrottle(Clock clock, int maxFailures, Duration window) {
    this.clock = clock;
    this.maxFailures = maxFailures;
    this.window = window;
  }

  AuthThrottle(Clock clock) {
    this(clock, DEFAULT_MAX_FAILURES, DEFAULT_WINDOW);
  }

  /** How long {@code source} is still refused, or null when it may try. */
  synchronized Duration blockedFor(String source) {
    Window w = sources.get(source);
    if (w == null || w.failures() < maxFailures) {
      return null;
    }
    Duration left = Duration.between(clock.instant(), w.start().plus(window));
    if (left.isNegative() || left.isZero()) {
      sources.remove(source);
      return null;
    }
    return left;
  }

  synchronized void failed(String source) {
    Instant now = clock.instant();
    Window w = sources.get(source);
    if (w == null || !now.isBefore(w.start().plus(window))) {
      if (sources.size() >= MAX_SOURCES) {
        prune(now);
      }
      sources.put(source, new Window(now, 1));
    } else {
      sources.put(source, new Window(w.start(), w.failures() + 1));
    }
  }

  private void prune(Instant now) {
    sources.values().removeIf(w -> !now.isBefore(w.start().plus(window)));
    if (sources.size() >= MAX_SOURCES) {
      var it = sources.entrySet().iterator();
      for (int i = 0; i < MAX_SOURCES / 2 && it.hasNext(); i++) {
        it.next();
        it.remove();
      }
    }
  }
}
