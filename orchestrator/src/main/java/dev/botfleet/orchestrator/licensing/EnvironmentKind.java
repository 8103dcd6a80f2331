package dev.botfleet.orchestrator.licensing;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.util.Arrays;

/**
 * The type of an environment, as far as licensing cares (L7, L8). Mirrors the environment types of
 * the SPEC entities; kept here so the package stays free of the environment area's classes.
 *
 * <p>{@link #DEVELOPER} is an environment used under the Power Apps Developer plan: no business
 * process flows and no RPA flows are created there (L8).
 */
public enum EnvironmentKind {
  DEFAULT,
  PRODUCTION,
  SANDBOX,
  TRIAL,
  DEVELOPER,
  TEAMS;

  /** Parses a type name case-insensitively; an unknown one is an INVALID_ARGUMENT. */
  public static EnvironmentKind parse(String value) {
    requireNonNull(value, "value");
    for (EnvironmentKind kind : values()) {
      if (kind.name().equalsIgnoreCase(value.trim())) {
        return kind;
      }
    }
    throw BotfleetException.invalid(
        ErrorReason.ENVIRONMENT_TYPE_INVALID,
        "environment type: '" + value + "' (expected: one of " + Arrays.toString(values()) + ")");
  }
}
