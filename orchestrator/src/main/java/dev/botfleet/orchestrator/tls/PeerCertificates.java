package dev.botfleet.orchestrator.tls;

import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.orchestrator.machines.ClientCertificate;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the client certificate that the TLS handshake verified (signed by Botfleet's CA, not
 * expired) into the context of agent-service calls, for the stream to check against the machine
 * (issue 12 §1). Calls without one (enrolment, plaintext) carry none.
 */
public final class PeerCertificates implements ServerInterceptor {
  private static final Context.Key<ClientCertificate> PEER = Context.key("botfleet-peer-cert");
  private static final String AGENT_SERVICE = "botfleet.v1.AgentService";

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    // Only agent streams authenticate by certificate; admin calls (the hot metering path among
    // them) would pay for a refused getPeerCertificates() each.
    if (!AGENT_SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    ClientCertificate peer = session == null ? null : peer(session);
    if (peer == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
  }

  private static ClientCertificate peer(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate c) {
        return new ClientCertificate(
            CertificateAuthority.commonName(c), CertificateAuthority.serial(c));
      }
    } catch (SSLPeerUnverifiedException e) {
      // No client certificate: an admin, an enrolling agent, or a foreign client.
    }
    return null;
  }

  /** The verified client certificate of the current call, or null. */
  public static ClientCertificate current() {
    return PEER.get();
  }
}
