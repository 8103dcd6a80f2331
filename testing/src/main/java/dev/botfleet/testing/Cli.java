package dev.botfleet.testing;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/**
 * Runs the real admin CLI in this JVM ({@code BotfleetCli.newCommandLine()}: the same options,
 * default provider and error handler as {@code ./botfleet}) with stdout and stderr captured. The
 * orchestrator is found by class name, so this module does not depend on it; the test classpath
 * must hold it.
 */
public final class Cli {
  public static final String MAIN_CLASS = "dev.botfleet.orchestrator.cli.BotfleetCli";

  /** What one CLI invocation printed and how it exited. */
  public record Result(List<String> args, int exitCode, String out, String err) {
    /** Asserts exit code 0. */
    public Result ok() {
      if (exitCode != 0) {
        throw new AssertionError(
            "exit code of botfleet "
                + String.join(" ", args)
                + " is "
                + exitCode
                + " (expected: 0)\nstdout:\n"
                + out
                + "\nstderr:\n"
                + err);
      }
      return this;
    }

    /**
     * Asserts exit 0 and parses stdout of a {@code -o json} call into {@code builder}; fails if it
     * is not exactly that JSON (unknown fields included).
     */
    public <B extends Message.Builder> B json(B builder) {
      ok();
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
      return "botfleet "
          + String.join(" ", args)
          + " -> exit "
          + exitCode
          + "\nstdout:\n"
          + out
          + "\nstderr:\n"
          + err;
    }
  }

  private final List<String> common;

  /** A CLI whose {@code common} options are appended to every call. */
  public Cli(String... common) {
    this.common = List.of(common);
  }

  /** A CLI talking to {@code server} with the token found in {@code dataDir}/admin.token. */
  public static Cli forServer(String server, Path dataDir) {
    return new Cli("--server", requireNonNull(server, "server"), "--data-dir", dataDir.toString());
  }

  /** A CLI talking to {@code server} with {@code token}. */
  public static Cli withToken(String server, String token) {
    return new Cli("--server", requireNonNull(server, "server"), "--token", token);
  }

  /** This CLI, trusting the server by the CA in {@code caFile} ({@code --ca-file}). */
  public Cli trusting(Path caFile) {
    List<String> all = new ArrayList<>(common);
    all.addAll(List.of("--ca-file", caFile.toString()));
    return new Cli(all.toArray(String[]::new));
  }

  /** This CLI, talking plaintext to a server started without TLS ({@code --insecure-plaintext}). */
  public Cli plaintext() {
    List<String> all = new ArrayList<>(common);
    all.add("--insecure-plaintext");
    return new Cli(all.toArray(String[]::new));
  }

  /** Runs {@code args} followed by this CLI's common options. */
  public Result run(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(common);
    return execute(List.of(args), all);
  }

  /** Runs the command with {@code -o json}, asserts exit 0, parses stdout into {@code builder}. */
  public <B extends Message.Builder> B json(B builder, String... args) {
    Result r = jsonResult(args).ok();
    parse(r.out(), builder);
    return builder;
  }

  /** Runs the command with {@code -o json}. */
  public Result jsonResult(String... args) {
    String[] withJson = Arrays.copyOf(args, args.length + 2);
    withJson[args.length] = "-o";
    withJson[args.length + 1] = "json";
    return run(withJson);
  }

  /** Parses {@code json} into {@code builder}, ignoring fields the builder does not know. */
  public static <B extends Message.Builder> B parse(String json, B builder) {
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(json, builder);
      return builder;
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not the expected JSON (" + e.getMessage() + "):\n" + json, e);
    }
  }

  /** Runs exactly {@code args}. */
  public static Result exec(String... args) {
    return execute(List.of(args), List.of(args));
  }

  private static Result execute(List<String> shown, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args.toArray(String[]::new));
    return new Result(shown, code, out.toString(), err.toString());
  }

  private static CommandLine newCommandLine() {
    try {
      return (CommandLine) Class.forName(MAIN_CLASS).getMethod("newCommandLine").invoke(null);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("BotfleetCli.newCommandLine() failed", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("the orchestrator is not on the test classpath", e);
    }
  }
}
