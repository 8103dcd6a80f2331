package dev.botfleet.common;

import java.util.regex.Pattern;

/** Names people type (environments, machines, groups, flows, users, apps). */
public final class Names {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,62}");

  private Names() {}

  /**
   * Returns {@code value} when it is a valid name; otherwise an INVALID_ARGUMENT naming {@code
   * what}.
   */
  public static String require(String what, String value) {
    if (value == null || value.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.NAME_REQUIRED, what + ": missing (expected: a name such as 'prod-eu')");
    }
    if (!NAME.matcher(value).matches()) {
      throw BotfleetException.invalid(
          ErrorReason.NAME_INVALID,
          what
              + ": '"
              + value
              + "' (expected: 1-63 letters, digits, '.', '_', '@' or '-', starting with a letter or digit)");
    }
    return value;
  }
}
