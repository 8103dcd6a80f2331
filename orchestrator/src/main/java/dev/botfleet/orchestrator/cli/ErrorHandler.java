package dev.botfleet.orchestrator.cli;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.api.GrpcErrors;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Any failure becomes one line on stderr and a non-zero exit: 1 refused by a rule, 3 not
 * authenticated or not allowed, 4 not found, 5 server unreachable, 2 bad usage (picocli).
 */
final class ErrorHandler implements IExecutionExceptionHandler {
  /**
   * The server's messages speak of API fields (issue 8 §2); these add the CLI's words for the
   * reasons where a flag is the fix. Keys are {@code ErrorReason} names, as on the wire.
   */
  static final Map<String, String> HINTS =
      Map.of(
          ErrorReason.UNAUTHENTICATED_NO_TOKEN.name(),
          "--token, BOTFLEET_TOKEN or <data-dir>/admin.token",
          ErrorReason.ENVIRONMENT_REQUIRED.name(),
          "add --env ENV",
          ErrorReason.R1_TARGET_REQUIRED.name(),
          "--machine M or --group G",
          ErrorReason.C2_ENVIRONMENT_ONLY.name(),
          "--env ENV",
          ErrorReason.P3_NO_PROCESS_CAPACITY.name(),
          "botfleet capacity allocate --env ENV --sku PROCESS --quantity N",
          ErrorReason.P5_NO_PROCESS_CAPACITY.name(),
          "botfleet capacity allocate --env ENV --sku PROCESS --quantity N",
          ErrorReason.P9_NO_PER_FLOW_CAPACITY.name(),
          "botfleet capacity allocate --env ENV --sku PER_FLOW --quantity N",
          ErrorReason.C6_NO_APP_PASS.name(),
          "botfleet capacity allocate --env ENV --sku APP_PASS --quantity N",
          ErrorReason.P10_BOT_BUSY.name(),
          "--force cancels the run");

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    if (ex instanceof StatusRuntimeException sre) {
      String reason = GrpcErrors.reason(sre);
      String description = sre.getStatus().getDescription();
      var code = sre.getStatus().getCode();
      if (code == io.grpc.Status.Code.UNAVAILABLE
          || code == io.grpc.Status.Code.DEADLINE_EXCEEDED) {
        cmd.getErr()
            .println(
                "error: cannot reach the orchestrator ("
                    + code
                    + ": "
                    + description
                    + "); is it running? (--server, BOTFLEET_SERVER)");
        return 5;
      }
      String hint = HINTS.get(reason);
      cmd.getErr()
          .println(
              "error: "
                  + code
                  + (reason.isEmpty() ? "" : " " + reason)
                  + ": "
                  + description
                  + (hint == null ? "" : " (hint: " + hint + ")"));
      return switch (code) {
        case UNAUTHENTICATED, PERMISSION_DENIED -> 3;
        case NOT_FOUND -> 4;
        default -> 1;
      };
    }
    if (ex instanceof UsageError ue) {
      cmd.getErr().println("error: " + ue.getMessage());
      return 2;
    }
    if (ex instanceof CommandLine.ParameterException pe) {
      cmd.getErr().println("error: " + pe.getMessage());
      return 2;
    }
    cmd.getErr().println("error: " + ex.getMessage());
    return 1;
  }

  /** Options that parse but do not fit together or point at nothing: bad usage, exit 2. */
  static final class UsageError extends RuntimeException {
    UsageError(String message) {
      super(message);
    }
  }
}
