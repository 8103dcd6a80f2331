package dev.botfleet.orchestrator.machines;

import java.util.Objects;

/**
 * The client certificates a machine may present (issue 12 §1): its current one, and during a
 * renewal the one before it. Either may be null (a machine enrolled over plaintext has none).
 */
public record CertificateSerials(String current, String previous) {
  public boolean accepts(String serial) {
    return serial != null && (serial.equals(current) || serial.equals(previous));
  }

  public boolean isCurrent(String serial) {
    return Objects.equals(serial, current);
  }
}
