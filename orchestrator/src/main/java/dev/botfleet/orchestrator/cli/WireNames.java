package dev.botfleet.orchestrator.cli;

import com.google.protobuf.ProtocolMessageEnum;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * botfleet.v1 enum values carry their type's prefix on the wire (AIP-126: {@code SKU_PROCESS},
 * {@code RUN_STATE_RUNNING}); people type and read them without it ({@code PROCESS}, {@code
 * RUNNING}). JSON output ({@code -o json}) keeps the wire names.
 */
final class WireNames {
  private WireNames() {}

  /** The value without its type's prefix; other objects as they print. */
  static String of(Object value) {
    if (value instanceof Enum<?> e && value instanceof ProtocolMessageEnum) {
      if (e.ordinal() == 0 && e.name().endsWith("_UNSPECIFIED")) {
        return ""; // "not set": shown as an empty cell, as an empty string always was
      }
      String prefix = prefix(e.getDeclaringClass());
      return e.name().startsWith(prefix) ? e.name().substring(prefix.length()) : e.name();
    }
    return value == null ? "" : value.toString();
  }

  /**
   * A value typed by a person: case-insensitive, '-' for '_', with or without the type's prefix.
   * The {@code …_UNSPECIFIED} and {@code UNRECOGNIZED} values are never accepted.
   */
  static <E extends Enum<E>> E parse(Class<E> type, String text) {
    String v = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    String prefix = prefix(type);
    for (E e : choices(type)) {
      if (e.name().equals(v) || e.name().equals(prefix + v)) {
        return e;
      }
    }
    throw new CommandLine.TypeConversionException(
        "'" + text + "' is not one of " + choicesText(type));
  }

  static <E extends Enum<E>> String choicesText(Class<E> type) {
    return Arrays.stream(choices(type)).map(WireNames::of).collect(Collectors.joining(", "));
  }

  @SuppressWarnings("unchecked")
  private static <E extends Enum<E>> E[] choices(Class<E> type) {
    return (E[])
        Arrays.stream(type.getEnumConstants())
            .filter(e -> e.ordinal() != 0 && !e.name().equals("UNRECOGNIZED"))
            .toArray(n -> (E[]) java.lang.reflect.Array.newInstance(type, n));
  }

  private static String prefix(Class<?> type) {
    String unspecified = ((Enum<?>) type.getEnumConstants()[0]).name();
    return unspecified.endsWith("_UNSPECIFIED")
        ? unspecified.substring(0, unspecified.length() - "UNSPECIFIED".length())
        : "";
  }

  /**
   * Registers a converter for every botfleet.v1 enum that an option or parameter of {@code cl} or
   * of its subcommands takes, found by walking the command tree (no list to keep in step).
   */
  static void register(CommandLine cl) {
    java.util.Set<Class<?>> types = new java.util.HashSet<>();
    collect(cl, types);
    types.forEach(t -> register(cl, t));
  }

  private static void collect(CommandLine cl, java.util.Set<Class<?>> types) {
    for (CommandLine.Model.ArgSpec arg : cl.getCommandSpec().args()) {
      Class<?> t = arg.type();
      if (t.isEnum() && ProtocolMessageEnum.class.isAssignableFrom(t)) {
        types.add(t);
      }
    }
    cl.getSubcommands().values().forEach(sub -> collect(sub, types));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void register(CommandLine cl, Class type) {
    cl.registerConverter(type, text -> parse(type, text));
  }
}
