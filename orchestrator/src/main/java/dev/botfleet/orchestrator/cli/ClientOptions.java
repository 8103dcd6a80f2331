package dev.botfleet.orchestrator.cli;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.botfleet.common.tls.Pem;
import dev.botfleet.common.tls.Trust;
import dev.botfleet.orchestrator.tls.ServerTls;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** Options every admin command shares: where the server is, who calls, how to print. */
public final class ClientOptions {
  @Option(
      names = "--server",
      defaultValue = "localhost:7443",
      description = "Orchestrator gRPC address HOST:PORT (env BOTFLEET_SERVER).")
  String server;

  @Option(
      names = "--token",
      description = "Bearer token (env BOTFLEET_TOKEN; default: <data-dir>/admin.token).")
  String token;

  @Option(
      names = "--data-dir",
      defaultValue = "data",
      description = "Where to find admin.token when no token is given (env BOTFLEET_DATA_DIR).")
  Path dataDir;

  /** Validated by picocli while parsing, so a bad value is a usage error (exit 2). */
  enum Output {
    TABLE,
    JSON
  }

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table or json (default: ${DEFAULT-VALUE}).")
  Output output;

  @Option(
      names = "--timeout",
      defaultValue = "30",
      description = "Deadline of each call in seconds.")
  int timeoutSeconds;

  @Option(
      names = "--ca-file",
      description =
          "The CA (PEM) to trust the server by (env BOTFLEET_CA_FILE; default:"
              + " <data-dir>/tls/trust.pem, written by the server).")
  Path caFile;

  @Option(
      names = "--insecure-plaintext",
      description =
          "Talk to a server started with --insecure-plaintext: no TLS, the token crosses the"
              + " network readable.")
  boolean insecurePlaintext;

  private ManagedChannel channel;

  ManagedChannel channel() {
    if (channel == null) {
      channel = channelTo(server, insecurePlaintext, trustFile());
    }
    return channel;
  }

  /** The CA file the CLI trusts the server by; checked so a missing one says what to do. */
  Path trustFile() {
    if (insecurePlaintext) {
      return null;
    }
    Path file = caFile != null ? caFile : ServerTls.trustFileIn(dataDir);
    if (!Files.isReadable(file)) {
      throw new ErrorHandler.UsageError(
          "no CA file to trust the server by: "
              + file
              + (caFile != null
                  ? " is not readable"
                  : " does not exist (expected: --ca-file with the server's"
                      + " <data-dir>/tls/trust.pem, or --data-dir of a local server; or"
                      + " --insecure-plaintext for a plaintext server)"));
    }
    return file;
  }

  /**
   * A channel to an orchestrator: TLS trusting only {@code caFile} (issue 12 §1), host name checked
   * against the server certificate; or plaintext when asked for.
   */
  static ManagedChannel channelTo(String target, boolean plaintext, Path caFile) {
    if (plaintext) {
      return NettyChannelBuilder.forTarget(target).usePlaintext().build();
    }
    var credentials =
        io.grpc.TlsChannelCredentials.newBuilder()
            .trustManager(Trust.anchoredAt(Pem.readCertificates(caFile)))
            .build();
    return NettyChannelBuilder.forTarget(target, credentials).build();
  }

  /** A stub with the caller's token and a deadline. */
  <S extends AbstractStub<S>> S stub(java.util.function.Function<io.grpc.Channel, S> factory) {
    return factory
        .apply(channel())
        .withCallCredentials(credentials())
        .withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS);
  }

  private CallCredentials credentials() {
    String t = resolveToken();
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        if (t != null) {
          m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + t);
        }
        applier.apply(m);
      }
    };
  }

  String resolveToken() {
    if (token != null && !token.isBlank()) {
      return token.trim();
    }
    Path file = dataDir.resolve("admin.token");
    if (Files.isReadable(file)) {
      try {
        return Files.readString(file).trim();
      } catch (IOException e) {
        return null;
      }
    }
    return null;
  }

  boolean json() {
    return output == Output.JSON;
  }

  /** Prints {@code message} as JSON with {@code -o json}, else runs the table printer. */
  void print(PrintWriter out, MessageOrBuilder message, Consumer<PrintWriter> table) {
    if (json()) {
      try {
        out.println(JsonFormat.printer().includingDefaultValueFields().print(message));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
      out.flush();
    } else {
      table.accept(out);
      out.flush();
    }
  }

  void close() {
    if (channel != null) {
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
