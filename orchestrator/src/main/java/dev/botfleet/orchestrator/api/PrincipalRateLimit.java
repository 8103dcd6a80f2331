package dev.botfleet.orchestrator.api;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.RateLimitedLog;
import dev.botfleet.orchestrator.admin.Principal;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.LoggerFactory;

/**
 * Issue 12 §4: a request rate limit per principal — a token bucket per principal id, refilled at
 * {@code perSecond} up to {@code burst}. Runs after {@link AuthInterceptor}, so it counts each
 * authenticated call once; the agent service (stream messages, enrolment) is not counted, and
 * unauthenticated calls never reach it. Over the limit a call is refused {@code RESOURCE_EXHAUSTED}
 * ({@code RATE_LIMITED}) with a {@code google.rpc.RetryInfo} saying when one token is back.
 */
public final class PrincipalRateLimit implements ServerInterceptor {
  private static final RateLimitedLog LOG =
      new RateLimitedLog(LoggerFactory.getLogger(PrincipalRateLimit.class), 60, TimeUnit.SECONDS);

  private final double perSecond;
  private final int burst;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /**
   * @param perSecond average requests per second per principal; 0 turns the limit off
   * @param burst requests a principal may make at once
   */
  public PrincipalRateLimit(double perSecond, int burst) {
    this(perSecond, burst, System::nanoTime);
  }

  /**
   * @param nanoTime a monotonic clock in nanoseconds (real time: the injected wall clock of tests
   *     stands still or jumps, and must not starve or flood the buckets)
   */
  PrincipalRateLimit(double perSecond, int burst, LongSupplier nanoTime) {
    if (!(perSecond >= 0) || burst < 1) {
      throw new IllegalArgumentException(
          "rate " + perSecond + ", burst " + burst + " (expected: rate >= 0 and burst >= 1)");
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.nanoTime = nanoTime;
  }

  private final class Bucket {
    private double tokens = burst;
    private long lastNanos = nanos();

    /** Takes one token, or answers how long until one is back. */
    synchronized Duration take() {
      long now = nanos();
      tokens = Math.min(burst, tokens + Math.max(0, now - lastNanos) / 1e9 * perSecond);
      lastNanos = now;
      if (tokens >= 1) {
        tokens -= 1;
        return Duration.ZERO;
      }
      return Duration.ofNanos((long) Math.ceil((1 - tokens) / perSecond * 1e9));
    }
  }

  private long nanos() {
    return nanoTime.getAsLong();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Principal caller = perSecond == 0 ? null : AuthInterceptor.CALLER.get();
    if (caller == null) {
      return next.startCall(call, headers);
    }
    Duration wait = buckets.computeIfAbsent(caller.id(), id -> new Bucket()).take();
    if (wait.isZero()) {
      return next.startCall(call, headers);
    }
    LOG.warn(
        "rate_limited/" + caller.id(),
        "rate_limited",
        "principal=" + caller.name() + " method=" + call.getMethodDescriptor().getFullMethodName());
    var sre =
        GrpcErrors.withRetry(
            ErrorReason.RATE_LIMITED,
            "principal '"
                + caller.name()
                + "' is over its request rate ("
                + perSecond
                + " per second, bursts of "
                + burst
                + "); retry in "
                + Math.max(1, wait.toMillis())
                + " ms",
            wait);
    call.close(sre.getStatus(), sre.getTrailers() == null ? new Metadata() : sre.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
