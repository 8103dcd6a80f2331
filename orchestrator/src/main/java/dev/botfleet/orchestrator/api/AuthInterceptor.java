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
 * Authenticates every admin RPC by its bearer token ({@code authorization: Bearer …}). Health,
 * reflection and the agent service are open here: agents prove themselves with join tokens and
 * machine credentials inside their own messages.
 */
public final class AuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Context.Key<Principal> CALLER = Context.key("botfleet-caller");
  private static final Set<String> OPEN_SERVICES =
      Set.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "botfleet.v1.AgentService");

  private final PrincipalService principals;

  public AuthInterceptor(PrincipalService principals) {
    this.principals = principals;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (OPEN_SERVICES.contains(service)) {
      return next.startCall(call, headers);
    }
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
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
      return refuse(
          call,
          ErrorReason.UNAUTHENTICATED_BAD_TOKEN,
          "unknown token (expected: a token printed by `botfleet principal create`)");
    }
    return Contexts.interceptCall(
        Context.current().withValue(CALLER, caller.get()), call, headers, next);
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
