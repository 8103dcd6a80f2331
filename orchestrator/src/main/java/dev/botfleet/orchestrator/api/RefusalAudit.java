package dev.botfleet.orchestrator.api;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.admin.Refusals;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * O4, issue 12 §2: the one place refusals are audited. Runs first for every call of the server
 * (agent service included) and watches how each call closes: UNAUTHENTICATED, PERMISSION_DENIED and
 * the authentication throttle are counted in {@link Refusals} with the source address, who (the
 * principal, or the first characters of the token it sent: never the token), the method and the
 * reason. Services and {@link AuthInterceptor} refuse as before; nothing else need remember to
 * audit.
 */
public final class RefusalAudit implements ServerInterceptor {
  /** Characters of a refused token kept to tell tokens apart in the audit log ("bfp_" + 4). */
  static final int TOKEN_PREFIX = 8;

  /** Set by {@link AuthInterceptor} once it knows who calls. */
  static final Context.Key<AtomicReference<String>> WHO = Context.key("botfleet-refusal-who");

  /** Set for each call: audits a refusal of one item of a batch (issue 9: SubmitRuns). */
  static final Context.Key<java.util.function.Consumer<io.grpc.StatusRuntimeException>> ITEM =
      Context.key("botfleet-refusal-item");

  /**
   * O4 for batches: a call that answers each item on its own (SubmitRuns) closes OK even when some
   * items were refused PERMISSION_DENIED; it reports each such item here, and it is audited like a
   * refused call (aggregated per key and minute as usual). Outside a call it does nothing.
   */
  static void itemRefused(io.grpc.StatusRuntimeException refusal) {
    var audit = ITEM.get();
    if (audit != null) {
      audit.accept(refusal);
    }
  }

  private final Refusals refusals;

  public RefusalAudit(Refusals refusals) {
    this.refusals = refusals;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    AtomicReference<String> who = new AtomicReference<>();
    String method = call.getMethodDescriptor().getFullMethodName();
    ServerCall<ReqT, RespT> watched =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            try {
              audit(status, trailers, who.get(), headers, method, call);
            } catch (RuntimeException e) {
              // Auditing must never change the answer.
            }
            super.close(status, trailers);
          }
        };
    java.util.function.Consumer<io.grpc.StatusRuntimeException> item =
        refusal -> {
          try {
            Metadata trailers = refusal.getTrailers();
            audit(
                refusal.getStatus(),
                trailers == null ? new Metadata() : trailers,
                who.get(),
                headers,
                method,
                call);
          } catch (RuntimeException e) {
            // Auditing must never change the answer.
          }
        };
    return Contexts.interceptCall(
        Context.current().withValue(WHO, who).withValue(ITEM, item), watched, headers, next);
  }

  private void audit(
      Status status,
      Metadata trailers,
      String principal,
      Metadata headers,
      String method,
      ServerCall<?, ?> call) {
    Status.Code code = status.getCode();
    String reason = GrpcErrors.reason(status, trailers);
    String action;
    if (code == Status.Code.PERMISSION_DENIED) {
      action = Refusals.PERMISSION;
    } else if (code == Status.Code.UNAUTHENTICATED
        || ErrorReason.O4_AUTHENTICATION_THROTTLED.name().equals(reason)) {
      action = Refusals.AUTHENTICATION;
    } else {
      return;
    }
    String who = principal != null ? principal : tokenPrefix(headers, method);
    refusals.refused(
        new Refusals.Key(
            action, source(call), who, method, reason.isEmpty() ? code.name() : reason));
  }

  /**
   * "token:bfp_ab12…" for a refused bearer token, "agent" for the agent service, else "anonymous".
   */
  static String tokenPrefix(Metadata headers, String method) {
    String header = headers.get(AuthInterceptor.AUTHORIZATION);
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = header.substring(7).trim();
      if (!token.isEmpty()) {
        String shown = token.length() <= TOKEN_PREFIX ? "" : token.substring(0, TOKEN_PREFIX);
        // A token too short to cut is not shown at all: its prefix would be the whole of it.
        return "token:" + shown.replaceAll("[^A-Za-z0-9_-]", "?") + "…";
      }
    }
    return method.startsWith("botfleet.v1.AgentService/") ? "agent" : "anonymous";
  }

  /** The caller's address without its port (aggregation is per address, not per connection). */
  static String source(ServerCall<?, ?> call) {
    SocketAddress addr = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (addr == null) {
      return "unknown";
    }
    if (addr instanceof InetSocketAddress inet) {
      return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
    }
    return addr.toString();
  }
}
