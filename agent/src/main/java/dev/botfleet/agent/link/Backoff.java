package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays (SPEC A6): exponential from {@code initial}, capped at {@code max}, each delay
 * drawn at random from its upper half so a fleet that lost the orchestrator at once does not come
 * back at once. {@link #reset()} after a successful Welcome. Thread-safe.
 */
public final class Backoff {
  public static final Duration INITIAL = Duration.ofMillis(500);
  public static final Duration MAX = Duration.ofSeconds(15);

  private final long initialNanos;
  private final long maxNanos;
  private final DoubleSupplier random;
  private int failures; // guarded by this

  /** 0.5 s, doubling, at most 15 s. */
  public Backoff() {
    this(INITIAL, MAX);
  }

  public Backoff(Duration initial, Duration max) {
    this(initial, max, () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * @param random values in [0, 1)
   */
  Backoff(Duration initial, Duration max, DoubleSupplier random) {
    requireNonNull(initial, "initial");
    requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial: " + initial + " (expected: > 0)");
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
    }
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.random = requireNonNull(random, "random");
  }

  /** The delay before the next attempt; each call counts one more failure. */
  public synchronized Duration next() {
    long ceiling = initialNanos;
    for (int i = 0; i < failures && ceiling < maxNanos; i++) {
      ceiling = Math.min(maxNanos, ceiling * 2);
    }
    failures = Math.min(failures + 1, 64);
    double factor = 0.5 + 0.5 * Math.min(1.0, Math.max(0.0, random.getAsDouble()));
    return Duration.ofNanos(Math.max(1, (long) (ceiling * factor)));
  }

  /** Starts over from {@code initial}. */
  public synchronized void reset() {
    failures = 0;
  }

  synchronized int failures() {
    return failures;
  }
}
