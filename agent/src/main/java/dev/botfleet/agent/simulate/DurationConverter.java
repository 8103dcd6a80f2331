package dev.botfleet.agent.simulate;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations on the command line: {@code 0ms}, {@code 250ms}, {@code 2s}, {@code 1.5m}, {@code 1h},
 * or ISO-8601 ({@code PT2S}).
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  public static Duration parse(String value) {
    String text = value.strip().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(text);
    if (m.matches()) {
      double amount = Double.parseDouble(m.group(1));
      long millisPerUnit =
          switch (m.group(2)) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            default -> 3_600_000L;
          };
      return Duration.ofNanos(Math.round(amount * millisPerUnit * 1_000_000d));
    }
    try {
      Duration parsed = Duration.parse(value.strip().toUpperCase(Locale.ROOT));
      if (parsed.isNegative()) {
        throw new TypeConversionException("'" + value + "' is negative (expected: >= 0)");
      }
      return parsed;
    } catch (DateTimeParseException e) {
      throw new TypeConversionException(
          "'" + value + "' is not a duration (expected: e.g. 0ms, 250ms, 2s, 1.5m, 1h or PT2S)");
    }
  }
}
