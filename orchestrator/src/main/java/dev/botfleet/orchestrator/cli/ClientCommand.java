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

  /** Unset (null) is sent as zero: "the default" wherever the API takes an optional duration. */
  static com.google.protobuf.Duration duration(java.time.Duration d) {
    return d == null
        ? com.google.protobuf.Duration.getDefaultInstance()
        : com.google.protobuf.Duration.newBuilder()
            .setSeconds(d.getSeconds())
            .setNanos(d.getNano())
            .build();
  }

  static java.time.Duration duration(com.google.protobuf.Duration d) {
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
