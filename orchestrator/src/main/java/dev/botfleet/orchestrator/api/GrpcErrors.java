package dev.botfleet.orchestrator.api;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.ThrottledLog;
import dev.botfleet.orchestrator.store.DatabaseFailures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domain refusals → gRPC status with a {@code google.rpc.ErrorInfo} whose reason names the rule.
 */
public final class GrpcErrors {
  public static final String DOMAIN = "botfleet.dev";
  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  /** While the database is down every call fails: one log line per interval, not one per call. */
  private static final ThrottledLog unavailableLog = new ThrottledLog(log, "database_unavailable");

  private static final ThrottledLog busyLog = new ThrottledLog(log, "database_busy");

  private GrpcErrors() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (t instanceof BotfleetException e) {
      return build(Status.Code.valueOf(e.code().name()), e.reason(), e.getMessage());
    }
    if (DatabaseFailures.isUnreachable(t)) {
      // Issue 7: no connection within --db-wait (database down, unreachable or every connection
      // busy), or the connection broke: the caller should back off and retry.
      unavailableLog.failed(t);
      return build(
          ErrorReason.DATABASE_UNAVAILABLE,
          "the orchestrator cannot reach its database (down, unreachable or overloaded); retry shortly");
    }
    if (hasCause(t, java.sql.SQLTransientException.class)) {
      // A lock or statement time-out: the caller should back off and retry.
      busyLog.failed(t);
      return build(ErrorReason.DATABASE_BUSY, "the orchestrator's database is busy; retry shortly");
    }
    log.error("event=internal_error error={}", t.toString(), t);
    return build(
        ErrorReason.INTERNAL,
        "internal error: " + t.getClass().getSimpleName() + " (see server log)");
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The longest description a status carries (issue 7): it travels twice in the trailers (message
   * and details), which clients cap (8 KiB in grpc-js), so a long echo of input must not hang them.
   */
  public static final int MAX_DESCRIPTION = 1024;

  /**
   * The status for a catalogued reason with its catalogue code. Every reason put on the wire is an
   * {@link ErrorReason} (issue 8 §2); ErrorCatalogueTest fails for one that is not.
   */
  public static StatusRuntimeException build(ErrorReason reason, String message) {
    return build(Status.Code.valueOf(reason.code().name()), reason, message);
  }

  /**
   * As {@link #build(ErrorReason, String)}, with a {@code google.rpc.RetryInfo} saying when to try
   * again (issue 12 §4, like M3 throttling).
   */
  public static StatusRuntimeException withRetry(
      ErrorReason reason, String message, java.time.Duration retryAfter) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.valueOf(reason.code().name()).value())
            .setMessage(clip(message, MAX_DESCRIPTION))
            .addDetails(
                Any.pack(ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN).build()))
            .addDetails(
                Any.pack(
                    com.google.rpc.RetryInfo.newBuilder()
                        .setRetryDelay(
                            com.google.protobuf.Duration.newBuilder()
                                .setSeconds(retryAfter.getSeconds())
                                .setNanos(retryAfter.getNano()))
                        .build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  private static StatusRuntimeException build(
      Status.Code code, ErrorReason reason, String message) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(clip(message, MAX_DESCRIPTION))
            .addDetails(
                Any.pack(ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN).build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** {@code text} cut to {@code max} characters, marking the cut with "…". */
  public static String clip(String text, int max) {
    if (text == null || text.length() <= max) {
      return text == null ? "" : text;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "…";
  }

  /** The rule reason carried by a status, or "" (clients use it to print and to test). */
  public static String reason(Throwable t) {
    return reason(StatusProto.fromThrowable(t));
  }

  /** The rule reason of a status closing a call with {@code trailers}, or "". */
  static String reason(io.grpc.Status status, io.grpc.Metadata trailers) {
    return reason(StatusProto.fromStatusAndTrailers(status, trailers));
  }

  private static String reason(com.google.rpc.Status status) {
    if (status == null) {
      return "";
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return detail.unpack(ErrorInfo.class).getReason();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return "";
        }
      }
    }
    return "";
  }
}
