package dev.botfleet.common;

import static java.util.Objects.requireNonNull;

/**
 * A refusal a person can act on: a status code, a machine-readable reason that names the rule (for
 * example {@code C2_EXCEEDS_PURCHASED}), and a message saying what was wrong and what would fix it.
 */
public final class BotfleetException extends RuntimeException {
  private final ErrorCode code;
  private final String reason;

  public BotfleetException(ErrorCode code, String reason, String message) {
    super(requireNonNull(message, "message"));
    this.code = requireNonNull(code, "code");
    this.reason = requireNonNull(reason, "reason");
  }

  public ErrorCode code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public static BotfleetException invalid(String reason, String message) {
    return new BotfleetException(ErrorCode.INVALID_ARGUMENT, reason, message);
  }

  public static BotfleetException notFound(String reason, String message) {
    return new BotfleetException(ErrorCode.NOT_FOUND, reason, message);
  }

  public static BotfleetException alreadyExists(String reason, String message) {
    return new BotfleetException(ErrorCode.ALREADY_EXISTS, reason, message);
  }

  public static BotfleetException precondition(String reason, String message) {
    return new BotfleetException(ErrorCode.FAILED_PRECONDITION, reason, message);
  }

  public static BotfleetException exhausted(String reason, String message) {
    return new BotfleetException(ErrorCode.RESOURCE_EXHAUSTED, reason, message);
  }

  public static BotfleetException denied(String reason, String message) {
    return new BotfleetException(ErrorCode.PERMISSION_DENIED, reason, message);
  }

  public static BotfleetException unauthenticated(String reason, String message) {
    return new BotfleetException(ErrorCode.UNAUTHENTICATED, reason, message);
  }
}
