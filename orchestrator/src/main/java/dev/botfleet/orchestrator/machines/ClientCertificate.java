package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

/**
 * The client certificate the transport verified for a call (mutual TLS, issue 12 §1): signed by the
 * orchestrator's CA and not expired. Whether it is still the machine's is the domain's check.
 *
 * @param machineId the certificate's common name: the machine it was issued to
 * @param serial its serial number in lower-case hex
 */
public record ClientCertificate(String machineId, String serial) {
  public ClientCertificate {
    requireNonNull(machineId, "machineId");
    requireNonNull(serial, "serial");
  }
}
