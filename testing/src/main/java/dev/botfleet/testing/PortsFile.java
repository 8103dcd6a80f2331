package dev.botfleet.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code <data-dir>/ports.json}, which {@code botfleet server} writes atomically once its
 * gRPC and HTTP ports are bound (docs/operations.md, "Data directory"): {@code
 * {"pid":1234,"grpc":7443,"http":9464}}.
 */
public record PortsFile(long pid, int grpc, int http) {
  public static final String NAME = "ports.json";

  private static final Pattern PID = field("pid");
  private static final Pattern GRPC = field("grpc");
  private static final Pattern HTTP = field("http");

  private static Pattern field(String name) {
    return Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)");
  }

  /** The ports in {@code dataDir}, or empty while the file is not there. */
  public static Optional<PortsFile> read(Path dataDir) {
    String json;
    try {
      json = Files.readString(dataDir.resolve(NAME), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return Optional.of(
        new PortsFile(
            Long.parseLong(number(PID, json)),
            Integer.parseInt(number(GRPC, json)),
            Integer.parseInt(number(HTTP, json))));
  }

  /** Removes a file left by an earlier server, before starting the next one on {@code dataDir}. */
  public static void delete(Path dataDir) {
    try {
      Files.deleteIfExists(dataDir.resolve(NAME));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String number(Pattern p, String json) {
    Matcher m = p.matcher(json);
    if (!m.find()) {
      throw new IllegalStateException(p + " missing in " + NAME + ": " + json);
    }
    return m.group(1);
  }
}
