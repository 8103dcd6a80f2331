package dev.botfleet.orchestrator.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.api.ProtoMapping;
import dev.botfleet.proto.v1.Priority;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.proto.v1.SubmitRunResult;
import dev.botfleet.proto.v1.SubmitRunsRequest;
import dev.botfleet.proto.v1.SubmitRunsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code run submit-batch} (issue 9): many runs from a JSON-lines file, sent with SubmitRuns in
 * chunks of up to 1,000. Each line is one run with the fields of {@code run submit}'s options (see
 * {@link #FIELDS}); a line that cannot be read is reported with its number and the other lines go
 * on. Exit 0 only when every line became a run.
 */
@Command(
    name = "submit-batch",
    mixinStandardHelpOptions = true,
    description = {
      "Submit many runs from a JSON-lines file: one run per line, with the fields of `run submit`'s"
          + " options: env, flow, machine or group, priority, input (an object of strings),"
          + " triggered-by, queue-timeout, run-timeout (e.g. \"10m\"), idempotency-key.",
      "Sent in chunks of up to 1,000 runs; prints each line's run id or error; exits 1 if any line"
          + " failed."
    })
final class RunBatchCommand extends ClientCommand {
  /** The fields a line may have, named as {@code run submit}'s options without their dashes. */
  static final Set<String> FIELDS =
      Set.of(
          "env",
          "flow",
          "machine",
          "group",
          "priority",
          "input",
          "triggered-by",
          "queue-timeout",
          "run-timeout",
          "idempotency-key");

  /** Most runs per call (the server's bound, SubmitRunsRequest.runs). */
  static final int MAX_CHUNK = 1000;

  /** Most bytes per call: below the server's default 4 MiB inbound message size. */
  static final int MAX_CHUNK_BYTES = 3 * 1024 * 1024;

  @Option(
      names = "--file",
      required = true,
      description = "JSON-lines file, one run per line; - reads standard input.")
  String file;

  @Option(
      names = "--idempotency-prefix",
      description =
          "Lines without an idempotency-key get PREFIX-<line number>, so running the same file again"
              + " returns the same runs instead of submitting them twice (R6).")
  String keyPrefix;

  @Option(
      names = "--chunk-size",
      defaultValue = "1000",
      description = "Runs per call, 1 to 1000 (default: ${DEFAULT-VALUE}).")
  int chunkSize;

  /** What became of one line. */
  record LineResult(
      int line,
      String runId,
      String state,
      boolean created,
      String code,
      String reason,
      String message) {
    boolean failed() {
      return runId == null;
    }
  }

  private record Parsed(int line, SubmitRunRequest request) {}

  @Override
  int run() throws IOException {
    if (chunkSize < 1 || chunkSize > MAX_CHUNK) {
      throw new ErrorHandler.UsageError(
          "--chunk-size: " + chunkSize + " (expected: 1 to " + MAX_CHUNK + ")");
    }
    List<String> lines = read();
    List<LineResult> results = new ArrayList<>();
    List<Parsed> runs = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String text = lines.get(i).strip();
      if (text.isEmpty()) {
        continue; // blank lines are not runs
      }
      try {
        runs.add(new Parsed(i + 1, parse(text, i + 1)));
      } catch (IllegalArgumentException e) {
        results.add(
            new LineResult(i + 1, null, null, false, "INVALID_ARGUMENT", "", e.getMessage()));
      }
    }
    boolean progress = runs.size() > chunkSize;
    int sent = 0;
    var stub = client.stub(RunServiceGrpc::newBlockingStub);
    for (int start = 0; start < runs.size(); ) {
      int end = start;
      int bytes = 0;
      while (end < runs.size() && end - start < chunkSize) {
        int size = runs.get(end).request().getSerializedSize() + 8;
        if (end > start && bytes + size > MAX_CHUNK_BYTES) {
          break;
        }
        bytes += size;
        end++;
      }
      List<Parsed> chunk = runs.subList(start, end);
      var req = SubmitRunsRequest.newBuilder();
      chunk.forEach(p -> req.addRuns(p.request()));
      try {
        SubmitRunsResponse resp = stub.submitRuns(req.build());
        for (int j = 0; j < chunk.size(); j++) {
          results.add(result(chunk.get(j).line(), resp.getResults(j)));
        }
      } catch (StatusRuntimeException e) {
        // The whole call failed (server unreachable, deadline): every line of it failed; a retry
        // with idempotency keys is safe (R6).
        for (Parsed p : chunk) {
          results.add(
              new LineResult(
                  p.line(),
                  null,
                  null,
                  false,
                  e.getStatus().getCode().name(),
                  GrpcErrors.reason(e),
                  String.valueOf(e.getStatus().getDescription())));
        }
      }
      sent = end;
      start = end;
      if (progress) {
        err()
            .printf(
                "submitted %d of %d runs (%d lines failed so far)%n",
                sent, runs.size(), results.stream().filter(LineResult::failed).count());
        err().flush();
      }
    }
    results.sort(java.util.Comparator.comparingInt(LineResult::line));
    print(out(), results);
    long failed = results.stream().filter(LineResult::failed).count();
    if (failed > 0) {
      err()
          .println(
              "error: "
                  + failed
                  + " of "
                  + results.size()
                  + " lines did not become runs (see their errors above); the other "
                  + (results.size() - failed)
                  + " were submitted");
      err().flush();
      return 1;
    }
    return 0;
  }

  private List<String> read() throws IOException {
    if (file.equals("-")) {
      var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      return in.lines().toList();
    }
    try {
      return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ErrorHandler.UsageError("--file: " + file + " does not exist");
    } catch (java.nio.charset.MalformedInputException e) {
      throw new ErrorHandler.UsageError("--file: " + file + " is not UTF-8 text");
    }
  }

  private static LineResult result(int line, SubmitRunResult r) {
    if (r.hasRun()) {
      return new LineResult(
          line,
          r.getRun().getId(),
          WireNames.of(r.getRun().getState()),
          r.getCreated(),
          "",
          "",
          "");
    }
    return new LineResult(
        line,
        null,
        null,
        false,
        Status.fromCodeValue(r.getError().getCode()).getCode().name(),
        r.getError().getReason(),
        r.getError().getMessage());
  }

  /** One line as a SubmitRunRequest; a line that is not one is refused with why. */
  SubmitRunRequest parse(String text, int line) {
    Struct.Builder s = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(text, s);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("line " + line + ": not a JSON object");
    }
    Map<String, Value> f = s.getFieldsMap();
    for (String name : f.keySet()) {
      if (!FIELDS.contains(name)) {
        throw new IllegalArgumentException(
            "line "
                + line
                + ": unknown field '"
                + clip(name)
                + "' (expected: "
                + String.join(", ", FIELDS.stream().sorted().toList())
                + ")");
      }
    }
    var req =
        SubmitRunRequest.newBuilder()
            .setEnvironment(string(f, "env", line))
            .setFlow(string(f, "flow", line));
    boolean machine = f.containsKey("machine");
    boolean group = f.containsKey("group");
    if (machine == group) {
      throw new IllegalArgumentException(
          "line " + line + ": give exactly one of machine and group");
    }
    req.setTarget(
        machine
            ? RunTarget.newBuilder().setMachine(string(f, "machine", line))
            : RunTarget.newBuilder().setGroup(string(f, "group", line)));
    if (f.containsKey("priority")) {
      String p = string(f, "priority", line).toUpperCase(Locale.ROOT);
      try {
        req.setPriority(Priority.valueOf(p.startsWith("PRIORITY_") ? p : "PRIORITY_" + p));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "line " + line + ": priority '" + clip(p) + "' (expected: HIGH, NORMAL or LOW)");
      }
    }
    if (f.containsKey("input")) {
      Value v = f.get("input");
      if (v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
        throw new IllegalArgumentException(
            "line " + line + ": input must be an object of strings, e.g. {\"invoice\": \"42\"}");
      }
      v.getStructValue()
          .getFieldsMap()
          .forEach(
              (k, x) -> {
                if (x.getKindCase() != Value.KindCase.STRING_VALUE) {
                  throw new IllegalArgumentException(
                      "line " + line + ": input '" + clip(k) + "' must be a string");
                }
                req.putInputs(k, x.getStringValue());
              });
    }
    if (f.containsKey("triggered-by")) {
      req.setTriggeringFlow(string(f, "triggered-by", line));
    }
    if (f.containsKey("queue-timeout")) {
      req.setQueueTimeout(ProtoMapping.duration(duration(f, "queue-timeout", line)));
    }
    if (f.containsKey("run-timeout")) {
      req.setRunTimeout(ProtoMapping.duration(duration(f, "run-timeout", line)));
    }
    if (f.containsKey("idempotency-key")) {
      req.setIdempotencyKey(string(f, "idempotency-key", line));
    } else if (keyPrefix != null && !keyPrefix.isBlank()) {
      req.setIdempotencyKey(keyPrefix + "-" + line);
    }
    return req.build();
  }

  private static String string(Map<String, Value> f, String name, int line) {
    Value v = f.get(name);
    if (v == null) {
      throw new IllegalArgumentException("line " + line + ": " + name + " is missing");
    }
    if (v.getKindCase() != Value.KindCase.STRING_VALUE) {
      throw new IllegalArgumentException("line " + line + ": " + name + " must be a string");
    }
    return v.getStringValue();
  }

  private static Duration duration(Map<String, Value> f, String name, int line) {
    String text = string(f, name, line);
    try {
      return new DurationConverter().convert(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "line " + line + ": " + name + " '" + clip(text) + "' (expected: e.g. 90s, 10m, 6h, 1d)");
    }
  }

  private static String clip(String s) {
    return s.length() <= 32 ? s : s.substring(0, 31) + "…";
  }

  private void print(PrintWriter o, List<LineResult> results) {
    if (client.json()) {
      StringBuilder b = new StringBuilder("{\"results\": [");
      for (int i = 0; i < results.size(); i++) {
        LineResult r = results.get(i);
        b.append(i == 0 ? "\n  " : ",\n  ").append("{\"line\": ").append(r.line());
        if (r.failed()) {
          b.append(", \"error\": {\"code\": ")
              .append(json(r.code()))
              .append(", \"reason\": ")
              .append(json(r.reason()))
              .append(", \"message\": ")
              .append(json(r.message()))
              .append("}}");
        } else {
          b.append(", \"run_id\": ")
              .append(json(r.runId()))
              .append(", \"state\": ")
              .append(json(r.state()))
              .append(", \"created\": ")
              .append(r.created())
              .append("}");
        }
      }
      b.append(results.isEmpty() ? "]" : "\n]")
          .append(", \"failed\": ")
          .append(results.stream().filter(LineResult::failed).count())
          .append("}");
      o.println(b);
    } else {
      Table t = new Table("LINE", "RUN", "STATE", "ERROR");
      for (LineResult r : results) {
        if (r.failed()) {
          t.row(
              r.line(),
              "",
              "",
              r.code() + (r.reason().isEmpty() ? "" : " " + r.reason()) + ": " + r.message());
        } else {
          t.row(r.line(), r.runId(), r.state() + (r.created() ? "" : " (retried key)"), "");
        }
      }
      t.print(o);
    }
    o.flush();
  }

  /** {@code s} as a JSON string literal. */
  static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
