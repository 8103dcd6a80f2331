package dev.botfleet.orchestrator.cli;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/**
 * Runs the real admin CLI in this JVM ({@link BotfleetCli#newCommandLine()}: the same options,
 * default provider and error handler as {@code ./botfleet}) with stdout and stderr captured.
 */
public final class Cli {
  /** What one CLI invocation printed and how it exited. */
  public record Result(int exitCode, String out, String err) {
    public Result requireSuccess() {
      if (exitCode != 0) {
        throw new AssertionError(
            "CLI exited " + exitCode + " (expected: 0)\nstdout:\n" + out + "\nstderr:\n" + err);
      }
      return this;
    }

    /**
     * Parses stdout of a {@code -o json} call into {@code builder}; fails if it is not that JSON.
     */
    public <B extends Message.Builder> B json(B builder) {
      requireSuccess();
      try {
        JsonFormat.parser().merge(out, builder);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(
            "stdout is not "
                + builder.getDescriptorForType().getFullName()
                + " JSON: "
                + e.getMessage()
                + "\n"
                + out,
            e);
      }
      return builder;
    }

    @Override
    public String toString() {
      return "exit=" + exitCode + "\nstdout:\n" + out + "stderr:\n" + err;
    }
  }

  private final List<String> common;

  /** A CLI bound to one server; {@code common} options are appended to every call. */
  public Cli(String... common) {
    this.common = List.of(common);
  }

  /** A CLI talking to {@code server} with the token found in {@code dataDir}/admin.token. */
  public static Cli forServer(String server, java.nio.file.Path dataDir) {
    return new Cli("--server", requireNonNull(server, "server"), "--data-dir", dataDir.toString());
  }

  /** Runs {@code args} followed by this CLI's common options. */
  public Result run(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(common);
    return exec(all.toArray(String[]::new));
  }

  /** Runs exactly {@code args}. */
  public static Result exec(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = BotfleetCli.newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
