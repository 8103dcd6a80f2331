package dev.botfleet.orchestrator.metering;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;

/**
 * One usage record as a caller sends it: a flow's or a user's requests, with an idempotency key
 * (M4). A record carries {@code requests} Power Platform Requests (one record may stand for many
 * requests, e.g. the actions of one flow run).
 *
 * @param flow the cloud flow name, or null for a user's own requests
 * @param user the user name, or null for a flow's requests
 * @param environment needed only for a flow name that exists in several environments
 */
public record UsageRecord(String flow, String user, String environment, long requests, String key) {
  public static final int MAX_KEY_LENGTH = 128;

  public UsageRecord {
    boolean hasFlow = flow != null && !flow.isBlank();
    boolean hasUser = user != null && !user.isBlank();
    if (hasFlow == hasUser) {
      throw BotfleetException.invalid(
          ErrorReason.M1_SUBJECT_REQUIRED,
          "record: "
              + (hasFlow ? "both flow and user" : "neither flow nor user")
              + " given (expected: exactly one)");
    }
    if (requests < 1) {
      throw BotfleetException.invalid(
          ErrorReason.M1_REQUESTS, "requests: " + requests + " (expected: >= 1)");
    }
    if (key == null || key.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.M4_KEY_REQUIRED,
          "idempotency key: missing (expected: a key unique to this record, reused on retry)");
    }
    if (key.length() > MAX_KEY_LENGTH) {
      throw BotfleetException.invalid(
          ErrorReason.M4_KEY_TOO_LONG,
          "idempotency key: "
              + key.length()
              + " characters (expected: at most "
              + MAX_KEY_LENGTH
              + ")");
    }
  }

  public static UsageRecord ofFlow(String flow, String environment, long requests, String key) {
    return new UsageRecord(flow, null, environment, requests, key);
  }

  public static UsageRecord ofUser(String user, long requests, String key) {
    return new UsageRecord(null, user, null, requests, key);
  }
}
