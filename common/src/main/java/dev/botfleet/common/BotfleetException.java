package dev.botfleet.common;

import static java.util.Objects.requireNonNull;

/**
 * A refusal a person can act on: a reason from the error catalogue ({@link ErrorReason}, for
 * example {@link ErrorReason#C2_EXCEEDS_PURCHASED}) that names the rule and fixes the status code,
 * and a message saying what was wrong and what would fix it, in terms of the API (field names), not
 * of CLI flags (issue 8 §2).
 *
 * <p>The factories are named after the status code so a call site reads as what it answers; each
 * checks that the catalogue gives the reason that code.
 */
public final class BotfleetException extends RuntimeException {
  private final ErrorCode code;
  private final ErrorReason reason;

  /** A refusal with the catalogue's status code for {@code reason}. */
  public BotfleetException(ErrorReason reason, String message) {
    this(reason, requireNonNull(reason, "reason").code(), message);
  }

  /**
   * A refusal relaying another status code than the catalogue's: only for a client (the agent)
   * wrapping a status the server answered, such as {@link ErrorReason#A1_ENROLMENT_FAILED}.
   */
  public BotfleetException(ErrorReason reason, ErrorCode relayedCode, String message) {
    super(requireNonNull(message, "message"));
    this.reason = requireNonNull(reason, "reason");
    this.code = requireNonNull(relayedCode, "relayedCode");
  }

  public ErrorCode code() {
    return code;
  }

  public ErrorReason reason() {
    return reason;
  }

  public static BotfleetException invalid(ErrorReason reason, String message) {
    return checked(ErrorCode.INVALID_ARGUMENT, reason, message);
  }

  public static BotfleetException notFound(ErrorReason reason, String message) {
    return checked(ErrorCode.NOT_FOUND, reason, message);
  }

  public static BotfleetException alreadyExists(ErrorReason reason, String message) {
    return checked(ErrorCode.ALREADY_EXISTS, reason, message);
  }

  public static BotfleetException precondition(ErrorReason reason, String message) {
    return checked(ErrorCode.FAILED_PRECONDITION, reason, message);
  }

  public static BotfleetException exhausted(ErrorReason reason, String message) {
    return checked(ErrorCode.RESOURCE_EXHAUSTED, reason, message);
  }

  public static BotfleetException denied(ErrorReason reason, String message) {
    return checked(ErrorCode.PERMISSION_DENIED, reason, message);
  }

  public static BotfleetException unauthenticated(ErrorReason reason, String message) {
    return checked(ErrorCode.UNAUTHENTICATED, reason, message);
  }

  private static BotfleetException checked(ErrorCode code, ErrorReason reason, String message) {
    requireNonNull(reason, "reason");
    if (reason.code() != code) {
      throw new IllegalArgumentException(
          reason + " is " + reason.code() + " in the error catalogue, not " + code);
    }
    return new BotfleetException(reason, message);
  }
}
