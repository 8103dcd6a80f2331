package dev.botfleet.orchestrator;

import dev.botfleet.common.Ids;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.TenantService;
import dev.botfleet.orchestrator.api.AdminApi;
import dev.botfleet.orchestrator.api.AgentApi;
import dev.botfleet.orchestrator.api.AuthInterceptor;
import dev.botfleet.orchestrator.api.CapacityApi;
import dev.botfleet.orchestrator.api.EnvironmentApi;
import dev.botfleet.orchestrator.api.MachineApi;
import dev.botfleet.orchestrator.api.OrchestratorServer;
import dev.botfleet.orchestrator.api.RunApi;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.flows.CloudFlows;
import dev.botfleet.orchestrator.flows.FlowAssociations;
import dev.botfleet.orchestrator.flows.FlowCharges;
import dev.botfleet.orchestrator.flows.FlowPlans;
import dev.botfleet.orchestrator.machines.Enrolment;
import dev.botfleet.orchestrator.machines.MachineCertificates;
import dev.botfleet.orchestrator.machines.MachineGroups;
import dev.botfleet.orchestrator.machines.Machines;
import dev.botfleet.orchestrator.machines.ProcessUtilization;
import dev.botfleet.orchestrator.machines.UnattendedBots;
import dev.botfleet.orchestrator.metering.RequestRecorder;
import dev.botfleet.orchestrator.metering.UsageReports;
import dev.botfleet.orchestrator.metrics.CapacityMetrics;
import dev.botfleet.orchestrator.metrics.RunMetrics;
import dev.botfleet.orchestrator.metrics.ScrapeRefresh;
import dev.botfleet.orchestrator.principals.PrincipalService;
import dev.botfleet.orchestrator.runs.AgentReportFence;
import dev.botfleet.orchestrator.runs.AgentSessions;
import dev.botfleet.orchestrator.runs.Dispatcher;
import dev.botfleet.orchestrator.runs.MachineRemoval;
import dev.botfleet.orchestrator.runs.RunCancellation;
import dev.botfleet.orchestrator.runs.RunLifecycle;
import dev.botfleet.orchestrator.runs.RunReports;
import dev.botfleet.orchestrator.runs.RunRepository;
import dev.botfleet.orchestrator.runs.RunRetention;
import dev.botfleet.orchestrator.runs.RunService;
import dev.botfleet.orchestrator.runs.RunSweeper;
import dev.botfleet.orchestrator.store.Database;
import dev.botfleet.orchestrator.store.DatabaseHealth;
import dev.botfleet.orchestrator.store.Jdbc;
import dev.botfleet.orchestrator.store.JdbcAuditLog;
import dev.botfleet.orchestrator.store.JdbcCapacityRepository;
import dev.botfleet.orchestrator.store.JdbcEnvironmentRepository;
import dev.botfleet.orchestrator.store.JdbcMachineRepository;
import dev.botfleet.orchestrator.store.JdbcPrincipalRepository;
import dev.botfleet.orchestrator.store.JdbcRunRepository;
import dev.botfleet.orchestrator.store.JdbcTenantRepository;
import dev.botfleet.orchestrator.store.JdbcTransactions;
import dev.botfleet.orchestrator.store.PostgresRunNotifier;
import dev.botfleet.orchestrator.tls.ServerTls;
import dev.botfleet.orchestrator.web.HttpEndpoint;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object graph of one orchestrator, wired by hand in one readable place (DESIGN "Conventions").
 * {@link #start} opens the database, migrates it, creates the first admin on an empty database, and
 * starts the gRPC and HTTP endpoints.
 */
public final class Orchestrator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Orchestrator.class);

  public final OrchestratorConfig config;
  public final Database database;
  public final JdbcTransactions tx;

  /**
   * Last result of the background database probe, for /healthz (issue 7); started with the
   * endpoints.
   */
  public final DatabaseHealth databaseHealth;

  public final Clock clock;
  public final PrometheusMeterRegistry registry;
  public final AuditLog audit;
  public final EnvironmentService environments;
  public final PrincipalService principals;
  public final dev.botfleet.orchestrator.admin.Refusals refusals;
  public final TenantService tenant;
  public final CapacityService capacity;
  public final Machines machines;
  public final MachineGroups groups;
  public final Enrolment enrolment;

  /** The CA and server certificate (issue 12 §1); null when serving plaintext. */
  public final ServerTls tls;

  public final UnattendedBots bots;
  public final ProcessUtilization processUtilization;

  public final RunService runs;
  public final RunLifecycle runLifecycle;
  public final RunRepository runRepository;
  public final Dispatcher dispatcher;
  public final RunReports runReports;
  public final RunSweeper sweeper;

  /** Purges finished runs past --run-retention (issue 9). */
  public final RunRetention runRetention;

  public final AgentSessions agentSessions;
  public final MachineRemoval machineRemoval;
  public final dev.botfleet.orchestrator.users.LicenseService licenses;
  public final CloudFlows flows;
  public final FlowCharges flowCharges;
  public final FlowPlans flowPlans;
  public final FlowAssociations flowAssociations;
  public final RequestRecorder metering;
  public final UsageReports usage;

  /** Identifies this process among replicas sharing one database (agent stream routing). */
  public final String replicaId = Ids.newId("rep");

  private final AgentApi agentApi;
  private final List<ScrapeRefresh> refreshers = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  /** What {@link #startEndpoints} started, newest first: {@link #close} stops it in this order. */
  private final java.util.Deque<AutoCloseable> running = new java.util.ArrayDeque<>();

  private interface Start {
    void start() throws IOException;
  }

  private void started(Start start, AutoCloseable stop) throws IOException {
    start.start();
    running.push(stop);
  }

  private OrchestratorServer grpc;
  private HttpEndpoint http;
  private Optional<Path> adminTokenFile = Optional.empty();

  private Orchestrator(OrchestratorConfig config, Database database) {
    this.config = config;
    this.database = database;
    this.clock = config.clock();
    this.tx = new JdbcTransactions(database);
    this.databaseHealth = new DatabaseHealth(database);
    Jdbc jdbc = new Jdbc(tx);
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.audit = new JdbcAuditLog(jdbc);
    var tenantRepository = new JdbcTenantRepository(jdbc, clock);
    this.environments =
        new EnvironmentService(tx, new JdbcEnvironmentRepository(jdbc), audit, clock);
    this.principals =
        new PrincipalService(tx, new JdbcPrincipalRepository(jdbc), environments, audit, clock);
    this.tenant = new TenantService(tx, tenantRepository, audit, clock);
    this.refusals = new dev.botfleet.orchestrator.admin.Refusals(tx, audit, clock);
    this.capacity =
        new CapacityService(
            tx, new JdbcCapacityRepository(jdbc), environments, tenantRepository, audit, clock);
    var machineRepository = new JdbcMachineRepository(jdbc);
    this.machines = new Machines(tx, machineRepository, environments, audit, clock);
    this.groups = new MachineGroups(tx, machineRepository, machines, environments, audit, clock);
    this.tls = config.tls().plaintext() ? null : ServerTls.loadOrCreate(config, clock);
    MachineCertificates certificates =
        tls == null
            ? MachineCertificates.disabled()
            : MachineCertificates.issuedBy(
                tls.authority(), config.tls().agentCertLife(), tls.serverAuthorities());
    this.enrolment =
        new Enrolment(tx, machineRepository, groups, environments, audit, certificates, clock);
    this.bots =
        new UnattendedBots(tx, machineRepository, machines, environments, capacity, audit, clock);
    this.processUtilization = new ProcessUtilization(tx, machineRepository, environments, capacity);
    // Runs (R1-R10): RunLifecycle is the only writer of run state; the others follow its events.
    this.runRepository = new JdbcRunRepository(jdbc);
    this.runLifecycle = new RunLifecycle(tx, runRepository, clock);
    var reportFence = new AgentReportFence(Duration.ofMinutes(1), runLifecycle::events);
    this.runs =
        new RunService(
            tx,
            runRepository,
            runLifecycle,
            machines,
            groups,
            environments,
            capacity,
            audit,
            clock);
    this.dispatcher =
        new Dispatcher(
            tx, runRepository, machines, bots, runLifecycle, clock, config.timings().assignLease());
    this.runReports =
        new RunReports(
            tx,
            runRepository,
            runLifecycle,
            reportFence,
            clock,
            dev.botfleet.orchestrator.store.DatabaseFailures::isUnreachable);
    // A6: results of runs that ended while disconnected come first; after two heartbeats, the runs
    // the agent did not name are lost (R5).
    this.agentSessions =
        new AgentSessions(
            tx,
            runRepository,
            runLifecycle,
            reportFence,
            dispatcher,
            Duration.ofSeconds(Math.max(2, config.timings().heartbeatInterval().toSeconds() * 2)));
    this.agentApi =
        new AgentApi(
            machines,
            enrolment,
            runs,
            agentSessions,
            runReports,
            clock,
            replicaId,
            config.timings().heartbeatInterval(),
            config.timings().offlineAfter(),
            registry);
    this.sweeper =
        new RunSweeper(
            tx,
            runRepository,
            runLifecycle,
            machines,
            dispatcher,
            agentApi,
            clock,
            config.timings().offlineAfter(),
            config.timings().restartGrace(),
            config.timings().sweepInterval());
    this.runRetention =
        new RunRetention(
            tx,
            runRepository,
            clock,
            config.retention().runs(),
            config.retention().batchSize(),
            config.retention().pause(),
            config.retention().interval());
    var cancellation = new RunCancellation(runLifecycle, agentApi);
    this.machineRemoval =
        new MachineRemoval(tx, machines, runRepository, runLifecycle, () -> agentApi);
    // Who follows whom, in one place (no constructor registers itself).
    bots.setRunControl(cancellation);
    machines.addListener(dispatcher);
    runLifecycle.subscribe(dispatcher);
    runLifecycle.subscribe(cancellation);
    // Licensing, flows and metering (L1-L8, P3, P4, P7, P9, M1-M6).
    this.licenses =
        new dev.botfleet.orchestrator.users.LicenseService(
            tx,
            new dev.botfleet.orchestrator.store.JdbcUserRepository(jdbc),
            tenantRepository,
            audit,
            clock);
    var flowRepository = new dev.botfleet.orchestrator.store.JdbcFlowRepository(jdbc);
    this.flowCharges = new FlowCharges(tx, flowRepository, licenses);
    this.flows =
        new CloudFlows(tx, flowRepository, flowCharges, environments, licenses, audit, clock);
    this.flowPlans =
        new FlowPlans(tx, flowRepository, flows, flowCharges, environments, capacity, audit, clock);
    this.flowAssociations =
        new FlowAssociations(tx, flowRepository, flows, flowCharges, environments, audit, clock);
    processUtilization.addProcessUnitHolder(flowPlans.processUnitHolder());
    var meteringRepository = new dev.botfleet.orchestrator.store.JdbcMeteringRepository(jdbc);
    this.metering =
        new RequestRecorder(
            tx, meteringRepository, flows, flowCharges, licenses, tenantRepository, clock);
    this.usage =
        new UsageReports(
            tx,
            meteringRepository,
            flows,
            flowCharges,
            licenses,
            environments,
            tenantRepository,
            clock);
  }

  /** Opens the database and builds the services without network endpoints (tests, CLI tools). */
  public static Orchestrator open(OrchestratorConfig config) {
    // Issue 12 §2: the data dir is 0700, the H2 database files 0600.
    dev.botfleet.orchestrator.store.DataDir.prepare(config.dataDir());
    String url = config.dbUrl() == null ? Database.h2FileUrl(config.dataDir()) : config.dbUrl();
    Database db =
        Database.open(
            url, config.dbUser(), config.dbPassword(), config.dbPoolSize(), config.dbWait());
    if (url.equals(Database.h2FileUrl(config.dataDir()))) {
      dev.botfleet.orchestrator.store.DataDir.restrictDatabaseFiles(config.dataDir());
    }
    return new Orchestrator(config, db);
  }

  public static Orchestrator start(OrchestratorConfig config) throws IOException {
    Orchestrator o = open(config);
    try {
      InetSocketAddress address = new InetSocketAddress(config.bindHost(), config.grpcPort());
      NettyServerBuilder builder;
      if (o.tls == null) {
        log.warn(
            "event=insecure_plaintext grpc={} message=\"gRPC serves PLAINTEXT: bearer tokens, join"
                + " tokens and machine credentials cross the network readable; agents are not"
                + " authenticated by certificate. Use only on a trusted loopback or test network.\"",
            address);
        System.err.println(
            "WARNING: gRPC on "
                + address
                + " is NOT encrypted and agents are NOT authenticated by certificate.");
        builder = NettyServerBuilder.forAddress(address);
      } else {
        builder = NettyServerBuilder.forAddress(address, o.tls.serverCredentials());
      }
      o.startEndpoints(limited(builder, config.limits()));
    } catch (IOException | RuntimeException e) {
      o.close();
      throw e;
    }
    return o;
  }

  /**
   * Issue 12 §4: the transport limits of {@code limits} on a Netty server builder. Agents ping
   * every 30 s to keep idle streams open through NATs: the permitted ping interval stays below that
   * (the default policy would answer too_many_pings and kill the stream); our own pings find dead
   * agents. A connection past its maximum age is told to go away, so load balancers can rebalance;
   * the agent's long-lived stream is cut after the grace and the agent reconnects with back-off,
   * re-sending what it has not had acknowledged (A6), well within offline-after.
   */
  public static NettyServerBuilder limited(
      NettyServerBuilder builder, OrchestratorConfig.Limits limits) {
    builder
        .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
        .permitKeepAliveTime(limits.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(limits.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(limits.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .maxInboundMessageSize(limits.maxInboundMessageSize());
    if (!limits.maxConnectionAge().isZero()) {
      builder
          .maxConnectionAge(limits.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
    }
    return builder;
  }

  /**
   * Starts gRPC on the given builder (tests pass an in-process one) and HTTP on the configured
   * port.
   */
  public void startEndpoints(ServerBuilder<?> serverBuilder) throws IOException {
    bootstrapAdmin();
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    CapacityMetrics capacityMetrics = new CapacityMetrics(capacity);
    capacityMetrics.bindTo(registry);
    refreshers.add(capacityMetrics);
    RunMetrics runMetrics = new RunMetrics(runs, machines, processUtilization, environments);
    runMetrics.bindTo(registry);
    refreshers.add(runMetrics);
    runLifecycle.subscribe(runMetrics);
    var meteringMetrics = new dev.botfleet.orchestrator.metrics.MeteringMetrics(metering, usage);
    meteringMetrics.bindTo(registry);
    refreshers.add(meteringMetrics);
    new dev.botfleet.orchestrator.metrics.EntitlementMetrics(licenses).bindTo(registry);
    new dev.botfleet.orchestrator.metrics.RetentionMetrics(runRetention).bindTo(registry);

    var idempotency =
        new dev.botfleet.orchestrator.api.Idempotency(
            tx, new dev.botfleet.orchestrator.store.JdbcIdempotencyKeys(new Jdbc(tx)), clock);
    grpc =
        new OrchestratorServer(
            serverBuilder,
            registry,
            new AuthInterceptor(principals, clock),
            new dev.botfleet.orchestrator.api.RefusalAudit(refusals),
            new dev.botfleet.orchestrator.api.PrincipalRateLimit(
                config.limits().rateLimitPerSecond(), config.limits().rateLimitBurst()),
            List.of(
                new AdminApi(principals, tenant, environments, idempotency),
                new EnvironmentApi(environments, capacity, idempotency),
                new CapacityApi(capacity, clock, idempotency, environments),
                new MachineApi(
                    machines,
                    enrolment,
                    bots,
                    groups,
                    processUtilization,
                    environments,
                    idempotency,
                    machineRemoval,
                    agentApi::rotateCertificate,
                    agentApi::holdsStream),
                new RunApi(runs, environments),
                new dev.botfleet.orchestrator.api.LicensingApi(
                    licenses, flows, clock, idempotency, environments),
                new dev.botfleet.orchestrator.api.FlowApi(
                    flows, flowPlans, flowAssociations, usage, idempotency, environments),
                new dev.botfleet.orchestrator.api.MeteringApi(metering, usage, clock, environments),
                agentApi));
    // Every background thread starts here, in dependency order; close() stops them in reverse
    // (DESIGN "Conventions": no constructor starts a thread).
    started(runLifecycle::start, runLifecycle); // run submissions (group commit)
    started(runReports::start, runReports); // agent reports (group commit)
    started(metering::start, metering); // usage records (group commit, M5) and key pruning (M4)
    started(agentSessions::start, agentSessions); // reconciles agents after Hello (A6)
    // Closed after gRPC stops, so the last refusals are written (issue 12 §2).
    started(refusals::start, refusals); // refusal audit rows, one per key and minute
    started(grpc::start, () -> grpc.stop(5, TimeUnit.SECONDS));
    // Closed before gRPC stops: ends the agent streams so agents reconnect elsewhere.
    started(agentApi::start, agentApi); // heartbeat flush (A3)
    if (database.dialect().supportsListenNotify()) {
      String url = database.jdbcUrl(); // with the network time-outs of the pool (issue 7)
      var notifier =
          new PostgresRunNotifier(
              url,
              config.dbUser(),
              config.dbPassword(),
              replicaId,
              dispatcher::remoteQueued,
              dispatcher::machineChanged);
      runLifecycle.subscribe(notifier);
      machines.addListener(notifier::machineChanged);
      started(notifier::start, notifier); // LISTEN/NOTIFY between replicas
    }
    started(() -> dispatcher.start(agentApi), dispatcher);
    started(sweeper::start, sweeper);
    started(runRetention::start, runRetention); // purges finished runs past --run-retention
    started(databaseHealth::start, databaseHealth); // /healthz (issue 7)
    http =
        new HttpEndpoint(config.bindHost(), config.httpPort(), registry, refreshers, this::healthy);
    running.push(http);
    log.info(
        "event=started grpc_port={} http_port={} database={} data_dir={}",
        grpc.port(),
        http.port(),
        database.url(),
        config.dataDir().toAbsolutePath());
    warnIfAutovacuumOff();
  }

  /**
   * Issue 9: with autovacuum off, nothing removes the dead rows every claimed run leaves in
   * queued_run and run, nor refreshes the statistics the planner uses; dispatch slows as they grow.
   * Said once at start, where an operator reads it.
   */
  private void warnIfAutovacuumOff() {
    if (!(database.dialect() instanceof dev.botfleet.orchestrator.store.Dialect.PostgresDialect)) {
      return;
    }
    try (var c = database.dataSource().getConnection();
        var st = c.createStatement();
        var rs = st.executeQuery("SHOW autovacuum")) {
      if (rs.next() && "off".equalsIgnoreCase(rs.getString(1))) {
        log.warn(
            "event=postgres_autovacuum_off consequence=\"dead rows of claimed and finished runs"
                + " pile up in queued_run and run and dispatch slows\" fix=\"autovacuum = on"
                + " (docs/operations.md), or VACUUM ANALYZE queued_run, run regularly\"");
      }
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (java.sql.SQLException e) {
      log.debug("event=autovacuum_check_failed error={}", e.toString());
    }
  }

  private void bootstrapAdmin() throws IOException {
    Path file = config.dataDir().resolve("admin.token");
    var created = principals.bootstrapAdmin();
    if (created.isPresent()) {
      writeAdminToken(config.dataDir(), created.get().token());
      log.info("event=admin_created principal=admin token_file={}", file.toAbsolutePath());
    }
    if (Files.exists(file)) {
      adminTokenFile = Optional.of(file);
    }
  }

  /**
   * Writes {@code token} to {@code dataDir}/admin.token, readable by its owner only (0600), by an
   * atomic move so a reader never sees half a token; returns the file.
   */
  public static Path writeAdminToken(Path dataDir, String token) throws IOException {
    Path file = dataDir.resolve("admin.token");
    dev.botfleet.common.PrivateFiles.write(file, token + System.lineSeparator());
    return file;
  }

  /**
   * Whether the last database probe (at most a second or two old) succeeded: never waits (issue 7).
   */
  private boolean healthy() {
    return databaseHealth.healthy();
  }

  public int grpcPort() {
    return grpc.port();
  }

  public int httpPort() {
    return http.port();
  }

  public Optional<Path> adminTokenFile() {
    return adminTokenFile;
  }

  /** Areas added by later wiring register gauges refreshed before each scrape. */
  public void addScrapeRefresh(ScrapeRefresh refresh) {
    refreshers.add(refresh);
  }

  public void onClose(AutoCloseable closeable) {
    closeables.add(closeable);
  }

  public void blockUntilShutdown() throws InterruptedException {
    grpc.blockUntilShutdown();
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("event=close_failed error={}", e.toString());
      }
    }
    while (!running.isEmpty()) {
      try {
        running.pop().close();
      } catch (Exception e) {
        log.warn("event=close_failed error={}", e.toString());
      }
    }
    database.close();
    log.info("event=stopped");
  }
}
