package dev.botfleet.common;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Configuration precedence for every command: flag &gt; environment variable {@code BOTFLEET_…}
 * &gt; config file &gt; built-in default. Picocli consults this provider only for options that were
 * not given on the command line; returning null falls back to the annotation's default.
 *
 * <p>The variable for {@code --grpc-port} is {@code BOTFLEET_GRPC_PORT}; the config file key is
 * {@code grpc-port}. The config file is a Java properties file named by {@code BOTFLEET_CONFIG}.
 */
public final class EnvDefaults implements IDefaultValueProvider {
  /**
   * Only settings come from the environment or the config file. Per-call options (--env, --user,
   * --quantity, …) never do: a stray BOTFLEET_ENV in someone's shell must not silently pick the
   * environment of an allocation.
   */
  public static final Set<String> SETTINGS =
      Set.of(
          "server",
          "token",
          "data-dir",
          "output",
          "timeout",
          "bind",
          "grpc-port",
          "http-port",
          "db-url",
          "db-user",
          "db-password",
          "db-pool-size",
          "db-wait",
          "heartbeat-interval",
          "offline-after",
          "assign-lease",
          "max-concurrent-calls-per-connection",
          "permit-keepalive-time",
          "keepalive-time",
          "keepalive-timeout",
          "max-connection-age",
          "max-connection-age-grace",
          "max-inbound-message-size",
          "rate-limit",
          "rate-limit-burst",
          "agent-http-port",
          "join-token",
          "join-token-file",
          "flows-dir",
          "max-sessions",
          "machine-name",
          // issue 12 §1: transport security
          "ca-file",
          "insecure-plaintext",
          "tls-dir",
          "tls-cert",
          "tls-key",
          "tls-ca",
          "agent-cert-life",
          // issue 9: retention of run history
          "run-retention");

  private final Map<String, String> env;
  private final Properties file;

  public EnvDefaults(Map<String, String> env) {
    this.env = env;
    this.file = load(env.get("BOTFLEET_CONFIG"));
  }

  public static EnvDefaults fromSystem() {
    return new EnvDefaults(System.getenv());
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec option)) {
      return null;
    }
    String longName = option.longestName();
    if (!longName.startsWith("--")) {
      return null;
    }
    String key = longName.substring(2);
    if (!SETTINGS.contains(key)) {
      return null;
    }
    String fromEnv = env.get(variableFor(key));
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return fromEnv;
    }
    return file.getProperty(key);
  }

  public static String variableFor(String key) {
    return "BOTFLEET_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static Properties load(String path) {
    Properties properties = new Properties();
    if (path == null || path.isBlank()) {
      return properties;
    }
    try (Reader reader = Files.newBufferedReader(Path.of(path))) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "BOTFLEET_CONFIG: cannot read '" + path + "' (" + e.getMessage() + ")", e);
    }
    return properties;
  }
}
