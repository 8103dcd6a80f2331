package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.api.GrpcErrors;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Any failure becomes one line on stderr and a non-zero exit: 1 refused by a rule, 3 not
 * authenticated or not allowed, 4 not found, 5 server unreachable, 2 bad usage (picocli).
 */
final class ErrorHandler implements IExecutionExceptionHandler {
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
      cmd.getErr()
          .println("error: " + code + (reason.isEmpty() ? "" : " " + reason) + ": " + description);
      return switch (code) {
        case UNAUTHENTICATED, PERMISSION_DENIED -> 3;
        case NOT_FOUND -> 4;
        default -> 1;
      };
    }
    if (ex instanceof CommandLine.ParameterException pe) {
      cmd.getErr().println("error: " + pe.getMessage());
      return 2;
    }
    cmd.getErr().println("error: " + ex.getMessage());
    return 1;
  }
}
