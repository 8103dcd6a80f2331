package dev.botfleet.orchestrator.runs;

/** R3: higher runs first; stored as its weight. */
public enum Priority {
  LOW(1),
  NORMAL(2),
  HIGH(3);

  private final int weight;

  Priority(int weight) {
    this.weight = weight;
  }

  public int weight() {
    return weight;
  }

  public static Priority ofWeight(int w) {
    for (Priority p : values()) {
      if (p.weight == w) {
        return p;
      }
    }
    throw new IllegalArgumentException("priority weight " + w);
  }
}
