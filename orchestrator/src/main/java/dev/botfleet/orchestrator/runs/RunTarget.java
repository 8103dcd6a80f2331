package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

/** R1: where a run may go: one machine, or any machine of a group. */
public record RunTarget(Kind kind, String id) {
  public enum Kind {
    MACHINE,
    GROUP,
    HOSTED_MACHINE,
    HOSTED_GROUP
  }

  public RunTarget {
    requireNonNull(kind, "kind");
    requireNonNull(id, "id");
  }
}
