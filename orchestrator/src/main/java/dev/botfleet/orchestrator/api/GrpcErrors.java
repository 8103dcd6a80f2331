package dev.botfleet.orchestrator.api;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.botfleet.common.BotfleetException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Domain refusals → gRPC status with a {@code google.rpc.ErrorInfo} whose reason names the rule. */
public final class GrpcErrors {
  public static final String DOMAIN = "botfleet.dev";
  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (t instanceof BotfleetException e) {
      return build(Status.Code.valueOf(e.code().name()), e.reason(), e.getMessage());
    }
    if (t.getCause() instanceof java.sql.SQLTransientException) {
      // Pool exhausted or the database briefly away: the caller should back off and retry.
      log.warn("event=database_busy error={}", t.getCause().getMessage());
      return build(Status.Code.UNAVAILABLE, "DATABASE_BUSY", "the orchestrator's database is busy or unreachable; retry shortly");
    }
    log.error("event=internal_error error={}", t.toString(), t);
    return build(Status.Code.INTERNAL, "INTERNAL", "internal error: " + t.getClass().getSimpleName() + " (see server log)");
  }

  public static StatusRuntimeException build(Status.Code code, String reason, String message) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(message)
            .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** The rule reason carried by a status, or "" (clients use it to print and to test). */
  public static String reason(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
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
