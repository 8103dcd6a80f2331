package dev.botfleet.orchestrator.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The connection pool, schema migration and dialect of one database (O2).
 *
 * <p>Outages (issue 7): a caller waits at most {@code connectionWait} for a pool connection and
 * then fails (Hikari {@code connectionTimeout}), so calls answer UNAVAILABLE quickly while the
 * database is away. PostgreSQL URLs get network time-outs unless they set their own: {@link
 * #POSTGRES_DEFAULTS}. Idle pool connections are checked every {@link #KEEPALIVE} and before use
 * (Hikari validation, at most 1 s), so a dead connection is dropped instead of hanging a call.
 */
public final class Database implements AutoCloseable {
  /**
   * Added to a PostgreSQL URL unless it sets them itself: a connection attempt gives up after 5 s
   * ({@code connectTimeout}, seconds), a read that gets no byte for 60 s fails ({@code
   * socketTimeout}, seconds: a silent network freeze must not hang a call for the ~15 minutes of
   * TCP retransmission; no statement of ours runs that long), and TCP keepalive is on. Migrations
   * run without the socket time-out, as they may legitimately take longer.
   */
  public static final Map<String, String> POSTGRES_DEFAULTS =
      Map.of("connectTimeout", "5", "socketTimeout", "60", "tcpKeepAlive", "true");

  /**
   * Every pooled PostgreSQL connection plans each execution with its parameters (issue 9, the
   * {@code options} URL parameter unless the URL sets its own, measured: docs/benchmarks.md "Issue
   * 9, 2026-12-02"). Left to {@code plan_cache_mode=auto}, a statement prepared on a table that was
   * still nearly empty got a generic plan, kept for the connection's life, that scanned the whole
   * table for a one-row update by primary key; with statistics that no autovacuum refreshed, one
   * backend then sat at a full core on run reports. Every hot statement here is a short lookup by
   * key, whose planning costs microseconds.
   */
  static final String POSTGRES_SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan";

  /** What the pool adds to a PostgreSQL URL: {@link #POSTGRES_DEFAULTS} and the session options. */
  private static final Map<String, String> POSTGRES_POOL_PARAMETERS = poolParameters();

  private static Map<String, String> poolParameters() {
    Map<String, String> p = new java.util.HashMap<>(POSTGRES_DEFAULTS);
    p.put(
        "options",
        java.net.URLEncoder.encode(
            POSTGRES_SESSION_OPTIONS, java.nio.charset.StandardCharsets.UTF_8));
    return Map.copyOf(p);
  }

  /** How often Hikari checks an idle pooled connection (its minimum). */
  public static final Duration KEEPALIVE = Duration.ofSeconds(30);

  private final HikariDataSource dataSource;
  private final Dialect dialect;
  private final String url;
  private final String user;
  private final String password;

  private Database(
      HikariDataSource dataSource, Dialect dialect, String url, String user, String password) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /** The migrations both databases run. */
  public static final String MIGRATIONS = "classpath:db/migration";

  /**
   * The migrations only this database runs ({@code db/vendor/h2}, {@code db/vendor/postgresql}).
   */
  public static String vendorMigrations(Dialect dialect) {
    return "classpath:db/vendor/" + dialect.name();
  }

  /**
   * The default store: an H2 file database under {@code dataDir}. WRITE_DELAY=0 so a commit is
   * handed to the OS before it is acknowledged (O2); one loss across SIGKILL was seen under heavy
   * load, see docs/operations.md "H2 and kill -9".
   */
  public static String h2FileUrl(Path dataDir) {
    Path base = dataDir.toAbsolutePath().resolve("botfleet");
    return "jdbc:h2:file:"
        + base
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0;LOCK_TIMEOUT=10000"
        // The orchestrator's shutdown hook closes the database last, after the writers flushed
        // (refusal counts, usage records, run reports); H2's own hook would close it first.
        + ";DB_CLOSE_ON_EXIT=FALSE";
  }

  public static Database open(String url, String user, String password, int maxPoolSize) {
    return open(url, user, password, maxPoolSize, Duration.ofSeconds(2));
  }

  /**
   * @param connectionWait how long a caller waits for a pool connection before it fails with a
   *     {@link java.sql.SQLTransientConnectionException} (at least 250 ms, Hikari's floor)
   */
  public static Database open(
      String givenUrl, String user, String password, int maxPoolSize, Duration connectionWait) {
    requireNonNull(givenUrl, "url");
    requireNonNull(connectionWait, "connectionWait");
    Dialect dialect = Dialect.forUrl(givenUrl);
    boolean postgres = givenUrl.startsWith("jdbc:postgresql:");
    String url = postgres ? withParameters(givenUrl, POSTGRES_POOL_PARAMETERS) : givenUrl;
    long waitMillis = Math.max(250, connectionWait.toMillis());
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (user != null && !user.isBlank()) {
      config.setUsername(user);
    }
    if (password != null && !password.isBlank()) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(maxPoolSize);
    config.setPoolName("botfleet-" + dialect.name());
    config.setAutoCommit(false);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setConnectionTimeout(waitMillis);
    config.setValidationTimeout(Math.min(1000, waitMillis));
    config.setKeepaliveTime(KEEPALIVE.toMillis());
    HikariDataSource ds = new HikariDataSource(config);
    try {
      var flyway = Flyway.configure();
      if (postgres) {
        // Own connection without the socket time-out: a migration may run longer than a call.
        flyway.dataSource(
            withParameters(
                givenUrl, Map.of("connectTimeout", POSTGRES_DEFAULTS.get("connectTimeout"))),
            user,
            password);
      } else {
        flyway.dataSource(ds);
      }
      // One migration set for both databases, and per database the few migrations that cannot be
      // written once (issue 12: the audit log's append-only trigger).
      flyway
          .locations(MIGRATIONS, vendorMigrations(dialect))
          .failOnMissingLocations(true)
          .load()
          .migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds, dialect, url, user, password);
  }

  /**
   * Appends {@code key=value} parameters to a PostgreSQL URL for each key it does not set yet;
   * parameters the operator wrote in the URL win.
   */
  static String withParameters(String url, Map<String, String> defaults) {
    int q = url.indexOf('?');
    Set<String> present = new HashSet<>();
    if (q >= 0) {
      for (String pair : url.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        present.add(eq < 0 ? pair : pair.substring(0, eq));
      }
    }
    StringBuilder b = new StringBuilder(url);
    String sep = q < 0 ? "?" : (url.endsWith("?") || url.endsWith("&") ? "" : "&");
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(defaults).entrySet()) {
      if (!present.contains(e.getKey())) {
        b.append(sep).append(e.getKey()).append('=').append(e.getValue());
        sep = "&";
      }
    }
    return b.toString();
  }

  /**
   * The full JDBC URL the pool uses, with its time-outs (contains any password given in it: not for
   * logs).
   */
  public String jdbcUrl() {
    return url;
  }

  /**
   * A new connection outside the pool whose connect and login give up after {@code timeout}
   * (PostgreSQL; an H2 file opens at once), for the health probe: it must not wait for a pooled
   * connection behind busy calls.
   */
  public Connection openUnpooled(Duration timeout) throws SQLException {
    Properties props = new Properties();
    if (user != null && !user.isBlank()) {
      props.setProperty("user", user);
    }
    if (password != null && !password.isBlank()) {
      props.setProperty("password", password);
    }
    String probeUrl = url;
    if (url.startsWith("jdbc:postgresql:")) {
      String seconds = Long.toString(Math.max(1, timeout.toSeconds()));
      Map<String, String> quick = new LinkedHashMap<>();
      quick.put("connectTimeout", seconds);
      quick.put("loginTimeout", seconds);
      quick.put("socketTimeout", seconds);
      probeUrl = withParameters(stripParameters(url, quick.keySet()), quick);
    }
    return DriverManager.getConnection(probeUrl, props);
  }

  private static String stripParameters(String url, Set<String> keys) {
    int q = url.indexOf('?');
    if (q < 0) {
      return url;
    }
    StringBuilder kept = new StringBuilder();
    for (String pair : url.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      if (!pair.isEmpty() && !keys.contains(eq < 0 ? pair : pair.substring(0, eq))) {
        kept.append(kept.length() == 0 ? "" : "&").append(pair);
      }
    }
    return url.substring(0, q) + (kept.length() == 0 ? "" : "?" + kept);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public Dialect dialect() {
    return dialect;
  }

  /**
   * The URL without parameters (H2 {@code ;…}, PostgreSQL {@code ?user=…&password=…}), for logs.
   */
  public String url() {
    int end = url.length();
    for (char c : new char[] {';', '?'}) {
      int i = url.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    return url.substring(0, end);
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
