package dev.botfleet.orchestrator.machines;

import java.util.Objects;

/**
 * The client certificates a machine may present (issue 12 §1): its current one, and during a
 * renewal the one before it. Either may be null (a machine enrolled over plaintext has none).
 * {@code rotationRequested}: an admin asked for a new key (issue 12 §3, rotate-credential).
 */
public record CertificateSerials(String current, String previous, boolean rotationRequested) {
  public boolean accepts(String serial) {
    return serial != null && (serial.equals(current) || serial.equals(previous));
  }

  public boolean isCurrent(String serial) {
    return Objects.equals(serial, current);
  }
}
