package dev.botfleet.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.flywaydb.core.Flyway;

/**
 * PostgreSQL databases for tests (DESIGN "Tests"): the local server where it answers ({@code
 * BOTFLEET_TEST_PG_URL}, default 127.0.0.1:5432/test as postgres; {@code BOTFLEET_TEST_PG_USER},
 * {@code BOTFLEET_TEST_PG_PASSWORD}), otherwise embedded PostgreSQL. With {@code
 * BOTFLEET_REQUIRE_PG=1} (CI) a missing local server fails. Never skips.
 *
 * <p>Each call makes a fresh database, so test classes are parallel-safe. It is a copy ({@code
 * CREATE DATABASE … TEMPLATE}) of {@code botfleet_template_<hash>}: the Flyway migrations found on
 * the classpath ({@code db/migration}), applied once per migration set rather than once per test.
 * The hash covers the names and contents of the migrations, so a changed migration makes a new
 * template. Several JVMs may want the template at once: its creation runs under a PostgreSQL
 * advisory lock and under a temporary name that is renamed only once migrated, so a template that
 * exists is complete. Databases made by this JVM are dropped when it exits.
 */
public final class TestDatabases {
  /** A database: JDBC URL and credentials; {@code name} is null for one not made here. */
  public record Db(String url, String user, String password, String name) {
    public Db(String url, String user, String password) {
      this(url, user, password, null);
    }

    public Connection connect() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    /** Drops the database now, closing what is still connected to it. */
    public void drop() {
      if (name != null) {
        TestDatabases.drop(name);
      }
    }
  }

  /** Where databases are created: the local server or the embedded one. */
  private record Server(String adminUrl, String user, String password, String urlPrefix) {
    Connection connect() throws SQLException {
      return DriverManager.getConnection(adminUrl, user, password);
    }

    String url(String database) {
      return urlPrefix + database;
    }
  }

  static final String MIGRATIONS = "db/migration";

  /** PostgreSQL's own migrations beside the shared set (issue 12: the audit trigger). */
  static final String PG_MIGRATIONS = "db/vendor/postgresql";

  private static final String DEFAULT_PG = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final List<String> created = new CopyOnWriteArrayList<>();
  private static Server server;
  private static String template;
  private static EmbeddedPostgres embedded;

  static {
    // Databases made by this JVM are dropped when it exits, so the server does not fill up.
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TestDatabases::dropCreated, "drop-test-databases"));
  }

  private TestDatabases() {}

  /** A new PostgreSQL database holding the current schema (all migrations applied). */
  public static Db postgres() {
    Server s;
    String tpl;
    synchronized (TestDatabases.class) {
      s = server();
      tpl = template(s);
    }
    String name = "botfleet_t_" + randomSuffix();
    try (Connection c = s.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name + " TEMPLATE " + tpl);
    } catch (SQLException e) {
      throw new AssertionError("cannot create test database " + name + " from " + tpl, e);
    }
    created.add(name);
    return new Db(s.url(name), s.user(), s.password(), name);
  }

  /**
   * A new PostgreSQL database without any schema, for tests of what happens on an empty database
   * (servers migrating it, several at once).
   */
  public static Db emptyPostgres() {
    Server s;
    synchronized (TestDatabases.class) {
      s = server();
    }
    String name = "botfleet_t_" + randomSuffix();
    try (Connection c = s.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new AssertionError("cannot create test database " + name, e);
    }
    created.add(name);
    return new Db(s.url(name), s.user(), s.password(), name);
  }

  private static String randomSuffix() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
  }

  private static Server server() {
    if (server != null) {
      return server;
    }
    String adminUrl = System.getenv().getOrDefault("BOTFLEET_TEST_PG_URL", DEFAULT_PG);
    String user = System.getenv().getOrDefault("BOTFLEET_TEST_PG_USER", "postgres");
    String password = System.getenv().getOrDefault("BOTFLEET_TEST_PG_PASSWORD", "");
    try (Connection c = DriverManager.getConnection(adminUrl, user, password)) {
      c.isValid(5);
      server =
          new Server(
              adminUrl, user, password, adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1));
    } catch (SQLException local) {
      if ("1".equals(System.getenv("BOTFLEET_REQUIRE_PG"))) {
        throw new AssertionError(
            "BOTFLEET_REQUIRE_PG=1 but PostgreSQL at "
                + adminUrl
                + " is not reachable: "
                + local.getMessage(),
            local);
      }
      server = embeddedServer(local);
    }
    return server;
  }

  private static Server embeddedServer(SQLException localFailure) {
    try {
      System.err.println(
          "*** PostgreSQL not reachable ("
              + localFailure.getMessage()
              + "): starting embedded PostgreSQL ***");
      Path dir = Path.of("target", "embedded-pg");
      Files.createDirectories(dir);
      embedded = EmbeddedPostgres.builder().setOverrideWorkingDirectory(dir.toFile()).start();
      String admin = embedded.getJdbcUrl("postgres", "postgres");
      return new Server(admin, "postgres", "", admin.substring(0, admin.lastIndexOf('/') + 1));
    } catch (Exception e) {
      throw new AssertionError(
          "no PostgreSQL for tests: local server failed ("
              + localFailure.getMessage()
              + ") and embedded failed ("
              + e
              + ")",
          e);
    }
  }

  /** The migrated template of the migrations on the classpath; creates it when missing. */
  private static String template(Server s) {
    if (template != null) {
      return template;
    }
    String hash = migrationsHash();
    String name = "botfleet_template_" + hash;
    try (Connection c = s.connect()) {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
        lock.setLong(1, Long.parseLong(hash.substring(0, 15), 16));
        lock.execute();
      }
      try {
        if (!exists(c, name)) {
          String building = "botfleet_tmpl_build_" + randomSuffix();
          try (Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + building);
            try {
              Flyway.configure()
                  .dataSource(s.url(building), s.user(), s.password())
                  .locations("classpath:" + MIGRATIONS, "classpath:" + PG_MIGRATIONS)
                  .failOnMissingLocations(true)
                  .load()
                  .migrate();
              st.execute("ALTER DATABASE " + building + " RENAME TO " + name);
            } finally {
              st.execute("DROP DATABASE IF EXISTS " + building + " WITH (FORCE)");
            }
          }
        }
      } finally {
        try (Statement st = c.createStatement()) {
          st.execute("SELECT pg_advisory_unlock_all()");
        }
      }
    } catch (SQLException e) {
      throw new AssertionError("cannot prepare the template database " + name, e);
    }
    template = name;
    return name;
  }

  private static boolean exists(Connection c, String database) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      q.setString(1, database);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** 16 hex digits over the names and bytes of every migration on the classpath. */
  static String migrationsHash() {
    Map<String, byte[]> files = new TreeMap<>();
    try {
      for (String location : List.of(MIGRATIONS, PG_MIGRATIONS)) {
        var urls = TestDatabases.class.getClassLoader().getResources(location);
        Map<String, byte[]> here = new TreeMap<>();
        while (urls.hasMoreElements()) {
          collect(urls.nextElement(), location, here);
        }
        here.forEach((name, bytes) -> files.putIfAbsent(location + "/" + name, bytes));
      }
      if (files.isEmpty()) {
        throw new AssertionError("no migrations on the classpath under " + MIGRATIONS);
      }
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (var f : files.entrySet()) {
        sha.update(f.getKey().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(f.getValue());
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the migrations", e);
    } catch (NoSuchAlgorithmException | URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void collect(URL url, String location, Map<String, byte[]> files)
      throws IOException, URISyntaxException {
    if ("file".equals(url.getProtocol())) {
      Path dir = Path.of(url.toURI());
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.filter(Files::isRegularFile).toList()) {
          files.putIfAbsent(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        }
      }
    } else if ("jar".equals(url.getProtocol())) {
      JarURLConnection conn = (JarURLConnection) url.openConnection();
      conn.setUseCaches(false);
      try (JarFile jar = conn.getJarFile()) {
        String prefix = location + "/";
        for (JarEntry e : jar.stream().toList()) {
          if (!e.isDirectory() && e.getName().startsWith(prefix)) {
            try (InputStream in = jar.getInputStream(e)) {
              files.putIfAbsent(e.getName().substring(prefix.length()), in.readAllBytes());
            }
          }
        }
      }
    } else {
      throw new IllegalStateException("migrations at an unsupported location: " + url);
    }
  }

  private static void drop(String name) {
    Server s = server;
    if (s == null) {
      return;
    }
    try (Connection c = s.connect();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      created.remove(name);
    } catch (SQLException e) {
      System.err.println("could not drop test database " + name + ": " + e.getMessage());
    }
  }

  private static void dropCreated() {
    Server s = server;
    if (created.isEmpty() || s == null || embedded != null) {
      return; // the embedded server goes away with this JVM
    }
    try (Connection c = s.connect();
        Statement st = c.createStatement()) {
      for (String name : created) {
        try {
          st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException ignored) {
          // best effort
        }
      }
    } catch (SQLException ignored) {
      // unreachable: nothing to clean
    }
  }
}
