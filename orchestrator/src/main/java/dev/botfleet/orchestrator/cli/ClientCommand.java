package dev.botfleet.orchestrator.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Base of admin commands: shared client options, output, and channel clean-up. */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin ClientOptions client;

  @Spec CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  @Override
  public final Integer call() throws Exception {
    try {
      client.json();
      return run();
    } finally {
      client.close();
    }
  }

  abstract int run() throws Exception;

  static String ts(com.google.protobuf.Timestamp t) {
    if (t == null || (t.getSeconds() == 0 && t.getNanos() == 0)) {
      return "";
    }
    return java.time.Instant.ofEpochSecond(t.getSeconds()).toString();
  }
}
