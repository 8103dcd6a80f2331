package dev.botfleet.orchestrator.api;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.principals.PrincipalService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates every admin RPC by its bearer token ({@code authorization: Bearer …}). Health and
 * reflection are open. Agents prove themselves inside their own messages (join token, client
 * certificate, machine credential); their refusals count against the source's throttle too.
 */
public final class AuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Context.Key<Principal> CALLER = Context.key("botfleet-caller");
  private static final Set<String> OPEN_SERVICES =
      Set.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection");

  /** Authenticates inside its messages (join token, certificate, credential), but is throttled. */
  private static final String AGENT_SERVICE = "botfleet.v1.AgentService";

  private final PrincipalService principals;
  private final AuthThrottle throttle;

  public AuthInterceptor(PrincipalService principals, java.time.Clock clock) {
    this(principals, new AuthThrottle(clock));
  }

  AuthInterceptor(PrincipalService principals, AuthThrottle throttle) {
    this.principals = principals;
    this.throttle = throttle;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (OPEN_SERVICES.contains(service)) {
      return next.startCall(call, headers);
    }
    // Issue 12 §2: a source that failed too often is refused before any database look-up.
    String source = RefusalAudit.source(call);
    java.time.Duration blocked = throttle.blockedFor(source);
    if (blocked != null) {
      var sre = throttled(blocked);
      call.close(sre.getStatus(), sre.getTrailers() == null ? new Metadata() : sre.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    if (AGENT_SERVICE.equals(service)) {
      // Agents prove themselves in their messages; a refusal there (a guessed join token, a
      // revoked credential or certificate) counts against the source like a bad bearer token.
      return next.startCall(
          new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(io.grpc.Status status, Metadata trailers) {
              if (status.getCode() == io.grpc.Status.Code.UNAUTHENTICATED) {
                throttle.failed(source);
              }
              super.close(status, trailers);
            }
          },
          headers);
    }
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throttle.failed(source);
      return refuse(
          call,
          ErrorReason.UNAUTHENTICATED_NO_TOKEN,
          "no bearer token (expected: authorization metadata \"Bearer <token>\" with a principal's token)");
    }
    Optional<Principal> caller;
    try {
      caller = principals.authenticate(header.substring(7).trim());
    } catch (RuntimeException e) {
      // Issue 7: the database is away (UNAVAILABLE DATABASE_UNAVAILABLE) or a bug (INTERNAL).
      var sre = GrpcErrors.toStatus(e);
      call.close(sre.getStatus(), sre.getTrailers() == null ? new Metadata() : sre.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    if (caller.isEmpty()) {
      throttle.failed(source);
      return refuse(
          call,
          ErrorReason.UNAUTHENTICATED_BAD_TOKEN,
          "unknown token (expected: a token printed by `botfleet principal create`)");
    }
    var who = RefusalAudit.WHO.get();
    if (who != null) {
      who.set(caller.get().name());
    }
    return Contexts.interceptCall(
        Context.current().withValue(CALLER, caller.get()), call, headers, next);
  }

  /** RESOURCE_EXHAUSTED O4_AUTHENTICATION_THROTTLED with a RetryInfo saying when to try again. */
  static io.grpc.StatusRuntimeException throttled(java.time.Duration retryAfter) {
    long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(io.grpc.Status.Code.RESOURCE_EXHAUSTED.value())
            .setMessage(
                "too many failed authentications from this address; retry in "
                    + seconds
                    + " s (expected: a valid bearer token)")
            .addDetails(
                com.google.protobuf.Any.pack(
                    com.google.rpc.ErrorInfo.newBuilder()
                        .setReason(ErrorReason.O4_AUTHENTICATION_THROTTLED.name())
                        .setDomain(GrpcErrors.DOMAIN)
                        .build()))
            .addDetails(
                com.google.protobuf.Any.pack(
                    com.google.rpc.RetryInfo.newBuilder()
                        .setRetryDelay(
                            com.google.protobuf.Duration.newBuilder().setSeconds(seconds))
                        .build()))
            .build();
    return io.grpc.protobuf.StatusProto.toStatusRuntimeException(status);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(
      ServerCall<ReqT, RespT> call, ErrorReason reason, String message) {
    var sre = GrpcErrors.build(reason, message);
    call.close(sre.getStatus(), sre.getTrailers() == null ? new Metadata() : sre.getTrailers());
    return new ServerCall.Listener<>() {};
  }

  /** The authenticated caller of the current RPC. */
  static Principal caller() {
    Principal p = CALLER.get();
    if (p == null) {
      throw new IllegalStateException("no authenticated caller in this context");
    }
    return p;
  }
}
