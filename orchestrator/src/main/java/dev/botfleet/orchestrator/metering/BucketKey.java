package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.flows.Charge;
import java.time.LocalDate;

/** One bucket on one metering day (M1, M2). */
public record BucketKey(Charge.BucketKind kind, String id, LocalDate day)
    implements Comparable<BucketKey> {
  @Override
  public int compareTo(BucketKey o) {
    int c = kind.compareTo(o.kind);
    if (c != 0) {
      return c;
    }
    c = id.compareTo(o.id);
    return c != 0 ? c : day.compareTo(o.day);
  }
}
