package dev.botfleet.orchestrator.licensing;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;

/**
 * The answer of the entitlement check (L7).
 *
 * @param allowed whether the action may go ahead
 * @param rule the SPEC rule id that decided ({@code L2}, {@code L4}, {@code L7}, {@code L8}, {@code
 *     P3}, {@code P4}, {@code P7}, {@code P9})
 * @param reason what was decided and why, in words a user reads
 * @param nextStep what to do to get the action allowed; empty when it is allowed
 */
public record Decision(boolean allowed, String rule, String reason, String nextStep) {

  public Decision {
    requireNonNull(rule, "rule");
    requireNonNull(reason, "reason");
    requireNonNull(nextStep, "nextStep");
    if (rule.isBlank()) {
      throw new IllegalArgumentException("rule: blank (expected: a SPEC rule id such as L4)");
    }
    if (reason.isBlank()) {
      throw new IllegalArgumentException("reason: blank (expected: why it was decided)");
    }
    if (!allowed && nextStep.isBlank()) {
      throw new IllegalArgumentException(
          "nextStep: blank (expected: a concrete next step for a denied action)");
    }
  }

  public static Decision allow(String rule, String reason) {
    return new Decision(true, rule, reason, "");
  }

  public static Decision deny(String rule, String reason, String nextStep) {
    return new Decision(false, rule, reason, nextStep);
  }

  /**
   * Returns this decision when allowed; otherwise throws PERMISSION_DENIED with the reason {@code
   * <rule>_NOT_ENTITLED} (for example {@code L4_NOT_ENTITLED}) and the reason and next step as the
   * message.
   */
  public Decision requireAllowed() {
    if (allowed) {
      return this;
    }
    throw BotfleetException.denied(
        ErrorReason.notEntitled(rule), reason + " Next step: " + nextStep);
  }
}
