package dev.botfleet.agent.exec;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.botfleet.agent.exec.RunResult.Outcome;
import dev.botfleet.agent.flows.InstalledFlow;
import dev.botfleet.agent.flows.InstalledFlows;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes runs as local processes of installed desktop flows (SPEC A4, A5).
 *
 * <p>The process contract, for flow authors:
 *
 * <ul>
 *   <li>working directory: the flow's folder;
 *   <li>stdin: the inputs as one JSON object of strings on one line, then end of input;
 *   <li>environment: {@code BOTFLEET_INPUT_<KEY>} per input (key upper-cased, characters outside
 *       {@code [A-Z0-9_]} replaced by {@code _}), {@code BOTFLEET_RUN_ID}, {@code BOTFLEET_FLOW},
 *       {@code BOTFLEET_RUN_DIR} (a scratch folder deleted after the run) and {@code
 *       BOTFLEET_OUTPUT} (a file in it where the flow may write a JSON object of outputs); other
 *       {@code BOTFLEET_*} variables of the agent are not passed on;
 *   <li>exit code 0 means success; stdout and stderr are merged and their last bytes reported.
 * </ul>
 *
 * <p>Time-out and cancellation kill the whole process tree. Each run uses one thread of this runner
 * plus two short-lived threads for its pipes. Thread-safe.
 */
public final class FlowRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FlowRunner.class);

  public static final int DEFAULT_LOG_TAIL_BYTES = 64 * 1024;
  public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(2);

  /** Output files larger than this are ignored: outputs go over the wire to the orchestrator. */
  static final int MAX_OUTPUT_BYTES = 1024 * 1024;

  /**
   * How long to wait, after the process ended, for the log to reach end of input. A background
   * process the flow left running can hold the pipe open forever; its output is then cut here.
   */
  static final Duration LOG_DRAIN = Duration.ofSeconds(2);

  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private final InstalledFlows flows;
  private final RunListener observer;
  private final Clock clock;
  private final int logTailBytes;
  private final Duration killGrace;
  private final ExecutorService executor;
  private final ConcurrentMap<String, RunHandle> active = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public FlowRunner(InstalledFlows flows) {
    this(flows, RunListener.NONE);
  }

  /**
   * @param observer hears about every run before the run's own listener, e.g. {@link ExecMetrics}
   */
  public FlowRunner(InstalledFlows flows, RunListener observer) {
    this(flows, observer, Clock.systemUTC(), DEFAULT_LOG_TAIL_BYTES, DEFAULT_KILL_GRACE);
  }

  /**
   * @param logTailBytes how many of the last output bytes a result keeps, at least 1
   * @param killGrace how long a process tree may take to stop after being asked, before it is
   *     killed forcibly
   */
  public FlowRunner(
      InstalledFlows flows,
      RunListener observer,
      Clock clock,
      int logTailBytes,
      Duration killGrace) {
    this.flows = requireNonNull(flows, "flows");
    this.observer = requireNonNull(observer, "observer");
    this.clock = requireNonNull(clock, "clock");
    requireNonNull(killGrace, "killGrace");
    if (logTailBytes < 1) {
      throw new IllegalArgumentException("logTailBytes: " + logTailBytes + " (expected: >= 1)");
    }
    if (killGrace.isNegative()) {
      throw new IllegalArgumentException("killGrace: " + killGrace + " (expected: >= 0)");
    }
    this.logTailBytes = logTailBytes;
    this.killGrace = killGrace;
    this.executor = Executors.newCachedThreadPool(daemonThreads("botfleet-run-"));
  }

  /**
   * Starts a run and returns at once; the run ends through {@code listener} and the handle's
   * result. A run whose flow is not installed, or whose flow name is invalid, ends {@code FAILED}
   * without executing anything (SPEC A5).
   *
   * @throws IllegalStateException when a run with this id is already in progress here, or the
   *     runner is closed
   */
  public RunHandle start(RunRequest request, RunListener listener) {
    requireNonNull(request, "request");
    requireNonNull(listener, "listener");
    if (closed) {
      throw new IllegalStateException("flow runner: closed (expected: start runs before close())");
    }
    RunHandle handle = new RunHandle(request.runId());
    if (active.putIfAbsent(request.runId(), handle) != null) {
      throw new IllegalStateException(
          "run '" + request.runId() + "': already in progress here (expected: a new run id)");
    }
    try {
      executor.execute(new Execution(request, listener, handle));
    } catch (RejectedExecutionException e) {
      active.remove(request.runId(), handle);
      throw new IllegalStateException(
          "flow runner: closed (expected: start runs before close())", e);
    }
    return handle;
  }

  /** The handle of a run in progress here. */
  public Optional<RunHandle> handle(String runId) {
    return Optional.ofNullable(active.get(requireNonNull(runId, "runId")));
  }

  /** Ids of the runs in progress here. */
  public Set<String> activeRunIds() {
    return Set.copyOf(active.keySet());
  }

  /**
   * Cancels the runs in progress, waits for them to end (their process trees killed and results
   * delivered), and stops the runner. Further {@link #start} calls fail.
   */
  @Override
  public void close() {
    closed = true;
    List<RunHandle> running = List.copyOf(active.values());
    running.forEach(handle -> handle.cancel("cancelled because the agent is shutting down"));
    long deadline = System.nanoTime() + killGrace.plus(LOG_DRAIN).plusSeconds(10).toNanos();
    for (RunHandle handle : running) {
      try {
        handle.result().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (ExecutionException | TimeoutException e) {
        log.warn("run {} did not end while the runner closed", handle.runId());
      }
    }
    executor.shutdownNow();
  }

  // ---- one run ----

  private final class Execution implements Runnable {
    private final RunRequest request;
    private final RunListener listener;
    private final RunHandle handle;
    private boolean interrupted;

    Execution(RunRequest request, RunListener listener, RunHandle handle) {
      this.request = request;
      this.listener = listener;
      this.handle = handle;
    }

    @Override
    public void run() {
      RunResult result;
      try {
        result = execute();
      } catch (RuntimeException | Error e) {
        log.error("run {} failed inside the agent", request.runId(), e);
        result =
            RunResult.notStarted(
                request.runId(),
                Outcome.FAILED,
                "AGENT_ERROR: " + e,
                "the agent failed while running flow '" + request.flowName() + "': " + e,
                clock.instant());
      } finally {
        active.remove(request.runId(), handle);
      }
      log.info(
          "run {} of flow '{}' ended {}: {}",
          request.runId(),
          request.flowName(),
          result.outcome(),
          result.message());
      notifyFinished(observer, result);
      notifyFinished(listener, result);
      handle.complete(result);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    private RunResult execute() {
      String name = request.flowName();
      Optional<InstalledFlow> found;
      try {
        found = flows.find(name);
      } catch (IllegalArgumentException e) {
        return notStarted(
            Outcome.FAILED,
            "INVALID_FLOW_NAME: " + e.getMessage(),
            "nothing was run: " + e.getMessage());
      } catch (UncheckedIOException e) {
        return notStarted(
            Outcome.FAILED,
            "START_FAILED: " + e.getMessage(),
            "nothing was run: cannot read the flows directory "
                + flows.directory()
                + ": "
                + e.getMessage());
      }
      if (found.isEmpty()) {
        return notStarted(
            Outcome.FAILED,
            "FLOW_NOT_INSTALLED",
            "flow '"
                + name
                + "' is not installed on this machine (expected: an executable run file in "
                + flows.directory().resolve(name)
                + "); nothing was run");
      }
      if (handle.cancelRequest().isDone()) {
        return notStarted(
            Outcome.CANCELLED,
            "CANCELLED",
            handle.cancelRequest().getNow("cancelled")
                + " before the flow started; nothing was run");
      }
      Path runDir;
      try {
        runDir = Files.createTempDirectory("botfleet-run-");
      } catch (IOException e) {
        return notStarted(
            Outcome.FAILED,
            "START_FAILED: cannot create a run folder: " + e.getMessage(),
            "nothing was run: cannot create a temporary run folder: " + e.getMessage());
      }
      try {
        return executeIn(found.get(), runDir);
      } finally {
        deleteRecursively(runDir);
      }
    }

    private RunResult executeIn(InstalledFlow flow, Path runDir) {
      String runId = request.runId();
      Path outputFile = runDir.resolve("output.json");
      ProcessBuilder builder =
          new ProcessBuilder(flow.command())
              .directory(flow.directory().toFile())
              .redirectErrorStream(true);
      Process process;
      try {
        Map<String, String> env = builder.environment();
        // The agent's own settings (tokens, endpoints) are none of the flow's business.
        env.keySet().removeIf(key -> key.toUpperCase(Locale.ROOT).startsWith("BOTFLEET_"));
        env.put("BOTFLEET_RUN_ID", runId);
        env.put("BOTFLEET_FLOW", flow.name());
        env.put("BOTFLEET_RUN_DIR", runDir.toString());
        env.put("BOTFLEET_OUTPUT", outputFile.toString());
        // Sorted, so when two keys map to one variable the result does not depend on hash order.
        new TreeMap<>(request.inputs()).forEach((key, value) -> env.put(inputEnvName(key), value));
        process = builder.start();
      } catch (IOException | RuntimeException e) {
        return notStarted(
            Outcome.FAILED,
            "START_FAILED: " + e.getMessage(),
            "flow '" + flow.name() + "' could not be started: " + e.getMessage());
      }
      Instant startedAt = clock.instant();
      long startNanos = System.nanoTime();
      log.info("run {} started flow '{}' as pid {}", runId, flow.name(), process.pid());
      try {
        listener.onProcess(runId, process.toHandle());
      } catch (RuntimeException e) {
        log.warn("run listener failed on process of run {}", runId, e);
      }
      notifyStarted(observer, runId, startedAt);
      notifyStarted(listener, runId, startedAt);
      try {
        return supervise(flow, process, outputFile, startedAt, startNanos);
      } catch (RuntimeException | Error e) {
        // A bug here must not leave a flow running with nobody watching it.
        ProcessTree.kill(process.toHandle(), Duration.ZERO);
        throw e;
      }
    }

    private RunResult supervise(
        InstalledFlow flow, Process process, Path outputFile, Instant startedAt, long startNanos) {
      String runId = request.runId();
      LogTail tail = new LogTail(logTailBytes);
      Thread pump =
          daemon("botfleet-run-" + runId + "-log", () -> pump(process.getInputStream(), tail));
      byte[] stdin = inputsJson(request.inputs()).getBytes(StandardCharsets.UTF_8);
      daemon("botfleet-run-" + runId + "-stdin", () -> feed(process.getOutputStream(), stdin));

      Outcome forced = null;
      String forcedMessage = null;
      try {
        CompletableFuture.anyOf(process.onExit(), handle.cancelRequest())
            .get(saturatedNanos(request.timeout()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        forced = Outcome.TIMED_OUT;
        forcedMessage = "timed out after " + human(request.timeout()) + " (run time-out)";
      } catch (InterruptedException e) {
        interrupted = true;
        handle.cancel("cancelled because the agent is shutting down");
      } catch (ExecutionException e) {
        throw new IllegalStateException("waiting for run " + runId, e); // neither future fails
      }
      // A cancel that lost the race with a natural exit changes nothing.
      if (forced == null && process.isAlive()) {
        forced = Outcome.CANCELLED;
        forcedMessage = handle.cancelRequest().getNow("cancelled");
      }
      if (forced != null) {
        ProcessTree.kill(process.toHandle(), killGrace);
      }
      Integer exitCode = awaitExit(process);
      Instant endedAt = clock.instant();
      joinQuietly(pump, LOG_DRAIN);

      List<String> notes = new ArrayList<>();
      if (exitCode == null) {
        notes.add("the process did not exit after being killed; exit code unknown");
        exitCode = -1;
      }
      Map<String, String> outputs = readOutputs(outputFile, notes);
      if (pump.isAlive()) {
        notes.add("log cut: a process the flow started still holds its output open");
      }
      if (tail.truncated()) {
        notes.add("log tail: last " + tail.capacity() + " of " + tail.total() + " bytes");
      }
      Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
      String what = "flow '" + flow.name() + "'";
      Outcome outcome;
      String reason;
      String message;
      if (forced == Outcome.TIMED_OUT) {
        outcome = Outcome.TIMED_OUT;
        reason = "TIMED_OUT";
        message = what + " " + forcedMessage + "; process tree killed";
      } else if (forced == Outcome.CANCELLED) {
        outcome = Outcome.CANCELLED;
        reason = "CANCELLED";
        message = what + " " + forcedMessage + " after " + human(took) + "; process tree killed";
      } else if (exitCode == 0) {
        outcome = Outcome.SUCCEEDED;
        reason = null;
        message = what + " succeeded in " + human(took);
      } else {
        outcome = Outcome.FAILED;
        reason = "EXIT_CODE_" + exitCode;
        message = what + " exited with code " + exitCode + " after " + human(took);
      }
      if (!notes.isEmpty()) {
        message += "; " + String.join("; ", notes);
      }
      return new RunResult(
          runId, outcome, exitCode, outputs, tail.text(), startedAt, endedAt, reason, message);
    }

    private Integer awaitExit(Process process) {
      long deadline = System.nanoTime() + killGrace.plusSeconds(10).toNanos();
      while (true) {
        try {
          if (process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            return process.exitValue();
          }
          return null;
        } catch (InterruptedException e) {
          // Shutting down: make sure the tree dies, then keep waiting for the exit code.
          interrupted = true;
          ProcessTree.kill(process.toHandle(), Duration.ZERO);
          Thread.interrupted();
        }
      }
    }

    private void joinQuietly(Thread thread, Duration max) {
      try {
        thread.join(Math.max(1, max.toMillis()));
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }

    private RunResult notStarted(Outcome outcome, String reason, String message) {
      return RunResult.notStarted(request.runId(), outcome, reason, message, clock.instant());
    }
  }

  // ---- helpers, pure or per-thread ----

  /** Environment variable of an input: {@code BOTFLEET_INPUT_} + the key, upper-cased and safe. */
  static String inputEnvName(String key) {
    return "BOTFLEET_INPUT_" + key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_]", "_");
  }

  /** The inputs as a one-line JSON object and a newline, so shell flows can {@code read} it. */
  static String inputsJson(Map<String, String> inputs) {
    Struct.Builder struct = Struct.newBuilder();
    new TreeMap<>(inputs)
        .forEach(
            (key, value) ->
                struct.putFields(key, Value.newBuilder().setStringValue(value).build()));
    try {
      return JSON.print(struct) + "\n";
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a Struct of strings always prints", e);
    }
  }

  /**
   * Reads the flow's output file. Problems never change the outcome (that is the exit code's job);
   * they leave the outputs empty and add a note.
   */
  static Map<String, String> readOutputs(Path file, List<String> notes) {
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    String json;
    try {
      long size = Files.size(file);
      if (size > MAX_OUTPUT_BYTES) {
        notes.add(
            "outputs ignored: BOTFLEET_OUTPUT holds "
                + size
                + " bytes (expected: at most "
                + MAX_OUTPUT_BYTES
                + ")");
        return Map.of();
      }
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      notes.add("outputs ignored: BOTFLEET_OUTPUT is not UTF-8 (expected: a JSON object)");
      return Map.of();
    } catch (IOException e) {
      notes.add("outputs ignored: cannot read BOTFLEET_OUTPUT: " + e.getMessage());
      return Map.of();
    }
    try {
      return parseOutputs(json);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      notes.add("outputs ignored: BOTFLEET_OUTPUT is not a JSON object (" + e.getMessage() + ")");
      return Map.of();
    }
  }

  /**
   * Strings as they are; other values as their JSON text ({@code 3}, {@code true}, {@code [1]}).
   */
  static Map<String, String> parseOutputs(String json) throws InvalidProtocolBufferException {
    if (json.isBlank()) {
      return Map.of();
    }
    Struct.Builder struct = Struct.newBuilder();
    JsonFormat.parser().merge(json, struct);
    Map<String, String> outputs = new TreeMap<>();
    for (Map.Entry<String, Value> field : struct.getFieldsMap().entrySet()) {
      outputs.put(field.getKey(), render(field.getValue()));
    }
    return outputs;
  }

  private static String render(Value value) throws InvalidProtocolBufferException {
    if (value.getKindCase() == Value.KindCase.STRING_VALUE) {
      return value.getStringValue();
    }
    StringBuilder json = new StringBuilder();
    appendJson(value, json);
    return json.toString();
  }

  /**
   * Compact JSON of {@code value}. Written here rather than by JsonFormat because JSON numbers
   * arrive as doubles and JsonFormat would print {@code 3} back as {@code 3.0}.
   */
  private static void appendJson(Value value, StringBuilder json)
      throws InvalidProtocolBufferException {
    switch (value.getKindCase()) {
      case NUMBER_VALUE:
        double number = value.getNumberValue();
        json.append(
            Double.isFinite(number)
                ? new BigDecimal(Double.toString(number)).stripTrailingZeros().toPlainString()
                : JSON.print(value));
        return;
      case STRUCT_VALUE:
        json.append('{');
        String separator = "";
        for (Map.Entry<String, Value> field : value.getStructValue().getFieldsMap().entrySet()) {
          json.append(separator)
              .append(JSON.print(Value.newBuilder().setStringValue(field.getKey())));
          json.append(':');
          appendJson(field.getValue(), json);
          separator = ",";
        }
        json.append('}');
        return;
      case LIST_VALUE:
        json.append('[');
        List<Value> items = value.getListValue().getValuesList();
        for (int i = 0; i < items.size(); i++) {
          if (i > 0) {
            json.append(',');
          }
          appendJson(items.get(i), json);
        }
        json.append(']');
        return;
      default: // strings, booleans, null: JsonFormat escapes and spells them right
        json.append(JSON.print(value));
    }
  }

  private static void pump(InputStream in, LogTail tail) {
    byte[] buffer = new byte[8192];
    try (in) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        tail.append(buffer, 0, read);
      }
    } catch (IOException e) {
      log.debug("log pipe closed: {}", e.getMessage());
    }
  }

  private static void feed(OutputStream out, byte[] bytes) {
    try (out) {
      out.write(bytes);
    } catch (IOException e) {
      // The flow exited or closed stdin without reading its inputs; that is its right.
      log.debug("stdin not fully written: {}", e.getMessage());
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(FlowRunner::deleteQuietly);
    } catch (IOException | UncheckedIOException e) {
      log.warn("cannot delete run folder {}: {}", dir, e.getMessage());
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", path, e.getMessage());
    }
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** "1m30s", "24h", "250ms". */
  static String human(Duration duration) {
    if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
      return duration.toMillis() + "ms";
    }
    Duration whole =
        duration.compareTo(Duration.ofMinutes(1)) < 0
            ? Duration.ofMillis(duration.toMillis())
            : Duration.ofSeconds(duration.getSeconds());
    return whole.toString().substring(2).toLowerCase(Locale.ROOT);
  }

  private static void notifyStarted(RunListener listener, String runId, Instant startedAt) {
    try {
      listener.onStarted(runId, startedAt);
    } catch (RuntimeException e) {
      log.warn("run listener failed on start of run {}", runId, e);
    }
  }

  private static void notifyFinished(RunListener listener, RunResult result) {
    try {
      listener.onFinished(result);
    } catch (RuntimeException e) {
      log.warn("run listener failed on end of run {}", result.runId(), e);
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return body -> {
      Thread thread = new Thread(body, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
