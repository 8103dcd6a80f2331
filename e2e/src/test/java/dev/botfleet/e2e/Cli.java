package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.botfleet.orchestrator.cli.BotfleetCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/**
 * The admin CLI ({@code botfleet …}) run in-process against one orchestrator, exactly as a user
 * types it; {@code -o json} answers are parsed back into the API's messages.
 */
final class Cli {
  final String server;
  final String token;

  Cli(String server, String token) {
    this.server = server;
    this.token = token;
  }

  record Result(List<String> args, int exit, String out, String err) {
    Result ok() {
      assertThat(exit)
          .as("exit code of botfleet %s%nstdout: %s%nstderr: %s", String.join(" ", args), out, err)
          .isZero();
      return this;
    }

    @Override
    public String toString() {
      return "botfleet "
          + String.join(" ", args)
          + " -> exit "
          + exit
          + "\nstdout: "
          + out
          + "\nstderr: "
          + err;
    }
  }

  /** Runs {@code botfleet args… --server S --token T}. */
  Result run(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--server", server, "--token", token));
    CommandLine cl = BotfleetCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(all.toArray(String[]::new));
    return new Result(List.of(args), exit, out.toString(), err.toString());
  }

  /** Runs the command with {@code -o json}, asserts exit 0, parses stdout into {@code builder}. */
  <B extends Message.Builder> B json(B builder, String... args) {
    Result r = jsonResult(args).ok();
    parse(r.out(), builder);
    return builder;
  }

  Result jsonResult(String... args) {
    String[] withJson = Arrays.copyOf(args, args.length + 2);
    withJson[args.length] = "-o";
    withJson[args.length + 1] = "json";
    return run(withJson);
  }

  static <B extends Message.Builder> B parse(String json, B builder) {
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(json, builder);
      return builder;
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not the expected JSON (" + e.getMessage() + "):\n" + json, e);
    }
  }
}
