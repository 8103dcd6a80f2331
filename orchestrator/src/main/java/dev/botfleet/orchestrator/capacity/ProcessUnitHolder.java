package dev.botfleet.orchestrator.capacity;

import java.util.List;

/** Where process units sit in an environment, for the utilization page (P8). */
public interface ProcessUnitHolder {
  record Held(String kind, String name, long units, String source) {}

  List<Held> heldIn(String environmentId);
}
