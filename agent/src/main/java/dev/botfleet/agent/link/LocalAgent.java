package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.agent.exec.BotSlots;
import dev.botfleet.agent.exec.ExecMetrics;
import dev.botfleet.agent.exec.FlowRunner;
import dev.botfleet.agent.flows.InstalledFlows;
import dev.botfleet.agent.probe.CapacityProbe;
import dev.botfleet.proto.v1.MachineCapacity;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real agent on this machine, wired in one place: OSHI probe, installed flows, process runner,
 * bot slots, durable pending reports under the data directory, enrolment and the link.
 */
public final class LocalAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalAgent.class);

  public static final String DEFAULT_SERVER = "localhost:7443";

  /** Folder of {@link PendingReports} inside the data directory. */
  public static final String PENDING_DIR = "pending";

  /** Accepted assignments not finished yet (R5): see {@link AssignmentJournal}. */
  public static final String ASSIGNED_DIR = "assigned";

  private final String server;
  private final Path dataDir;
  private final InstalledFlows flows;
  private final BotSlots slots;
  private final FlowRunner runner;
  private final AgentLink link;

  private LocalAgent(
      String server,
      Path dataDir,
      InstalledFlows flows,
      BotSlots slots,
      FlowRunner runner,
      AgentLink link) {
    this.server = server;
    this.dataDir = dataDir;
    this.flows = flows;
    this.slots = slots;
    this.runner = runner;
    this.link = link;
  }

  public static Builder builder() {
    return new Builder();
  }

  public MachineCredential credential() {
    return link.credential();
  }

  public AgentLink link() {
    return link;
  }

  public BotSlots slots() {
    return slots;
  }

  public InstalledFlows flows() {
    return flows;
  }

  /** The orchestrator address in use. */
  public String server() {
    return server;
  }

  public Path dataDir() {
    return dataDir;
  }

  FlowRunner runner() {
    return runner;
  }

  /**
   * Closes the stream and the channel. Runs in progress keep executing and are not reported: the
   * orchestrator treats the machine as lost (SPEC R5).
   */
  @Override
  public void close() {
    link.close();
  }

  /** Settings of a {@link LocalAgent}; see the agent command's options. */
  public static final class Builder {
    private String server;
    private String joinToken;
    private Path flowsDir = Path.of("flows");
    private Path dataDir = Path.of("agent-data");
    private Integer maxSessions;
    private String machineName;
    private MeterRegistry registry;
    private Backoff backoff;
    private Duration reprobeInterval = AgentLink.REPROBE_INTERVAL;
    private boolean plaintext;
    private Path caFile;

    private Builder() {}

    /** {@code HOST:PORT}; {@code null}: the one enrolled with, else {@value #DEFAULT_SERVER}. */
    public Builder server(String server) {
      this.server = server == null || server.isBlank() ? null : server.strip();
      return this;
    }

    public Builder joinToken(String joinToken) {
      this.joinToken = joinToken;
      return this;
    }

    /** Talk to an orchestrator started with --insecure-plaintext (no TLS, no certificate). */
    public Builder insecurePlaintext(boolean plaintext) {
      this.plaintext = plaintext;
      return this;
    }

    /** Trust this CA (PEM) at enrolment instead of the join token's pin; null: the pin. */
    public Builder caFile(Path caFile) {
      this.caFile = caFile;
      return this;
    }

    public Builder flowsDir(Path flowsDir) {
      this.flowsDir = requireNonNull(flowsDir, "flowsDir");
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = requireNonNull(dataDir, "dataDir");
      return this;
    }

    /** Overrides the probed maximum of concurrent sessions (SPEC A2); {@code null}: probe. */
    public Builder maxSessions(Integer maxSessions) {
      this.maxSessions = maxSessions;
      return this;
    }

    public Builder machineName(String machineName) {
      this.machineName = machineName;
      return this;
    }

    /** Where to register run and link metrics; {@code null}: nowhere. */
    public Builder registry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    public Builder backoff(Backoff backoff) {
      this.backoff = backoff;
      return this;
    }

    public Builder reprobeInterval(Duration every) {
      this.reprobeInterval = every;
      return this;
    }

    /**
     * Enrols if needed (SPEC A1) and starts the link in the background.
     *
     * @throws dev.botfleet.common.BotfleetException when not enrolled and no join token was given,
     *     or the orchestrator refused the token
     */
    public LocalAgent start() {
      Path data = dataDir.toAbsolutePath().normalize();
      Optional<MachineCredential> stored = MachineCredential.load(data);
      String target =
          server != null
              ? server
              : stored
                  .map(MachineCredential::server)
                  .filter(s -> !s.isBlank())
                  .orElse(DEFAULT_SERVER);
      CapacityProbe probe = new CapacityProbe(maxSessions);
      InstalledFlows flows = new InstalledFlows(flowsDir);
      Supplier<MachineCapacity> capacity = () -> Messages.capacity(probe.refresh(), flows.names());
      Enrolment.Enrolled enrolled =
          Enrolment.credentialFor(
              data, target, joinToken, machineName, capacity, plaintext, caFile);
      MachineCredential credential = enrolled.credential();
      ManagedChannel channel =
          enrolled.tls() == null
              ? AgentLink.channelTo(target)
              : AgentLink.channelTo(target, enrolled.tls().credentials());
      if (!credential.server().equals(target)) {
        log.info(
            "event=server_changed machine={} was={} now={}",
            credential.machineId(),
            credential.server(),
            target);
        credential = credential.withServer(target);
        credential.save(data);
      }
      BotSlots slots = new BotSlots(0); // the orchestrator's Settings say how many bots we have
      ExecMetrics execMetrics = new ExecMetrics(slots);
      FlowRunner runner = new FlowRunner(flows, execMetrics);
      LinkMetrics linkMetrics = new LinkMetrics();
      if (registry != null) {
        execMetrics.bindTo(registry);
        linkMetrics.bindTo(registry);
      }
      AgentLink.Builder link =
          AgentLink.builder(channel, credential)
              .ownsChannel(true)
              .bots(new LocalBots(runner, slots))
              .capacity(capacity)
              .pending(PendingReports.inDirectory(data.resolve(PENDING_DIR)))
              .assignmentJournal(data.resolve(ASSIGNED_DIR))
              .metrics(linkMetrics)
              .reprobeInterval(reprobeInterval)
              .certificateRenewal(enrolled.tls());
      if (backoff != null) {
        link.backoff(backoff);
      }
      AgentLink built = link.build();
      built.start();
      return new LocalAgent(target, data, flows, slots, runner, built);
    }
  }
}
