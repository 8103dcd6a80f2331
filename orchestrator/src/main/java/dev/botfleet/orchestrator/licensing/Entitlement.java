package dev.botfleet.orchestrator.licensing;

import static java.util.Objects.requireNonNull;

/**
 * One cell of the [003] entitlement matrix (L2).
 *
 * @param level whether the capability is included
 * @param quantity the figure the cell gives, in the row's {@link Capability#unit()} (requests per
 *     day, bots, credits, megabytes); 0 when the cell gives no figure, always 0 when not included
 * @param note the document's wording or footnote, or {@code [beyond] …} with the reasoning when the
 *     cell is ours; empty when the cell needs no comment
 */
public record Entitlement(Level level, long quantity, String note) {

  /** How far a license includes a capability. */
  public enum Level {
    INCLUDED,
    /**
     * L2: only when the flow is in-context and associated to the app the license comes from ([003]
     * footnotes 4 and 5). The Windows license's attended RPA (footnote 6: local execution, no
     * orchestration) also has this level; Botfleet only orchestrates, so it never grants it.
     */
    INCLUDED_WITH_LIMITATIONS,
    NOT_INCLUDED
  }

  public Entitlement {
    requireNonNull(level, "level");
    requireNonNull(note, "note");
    if (quantity < 0) {
      throw new IllegalArgumentException("quantity: " + quantity + " (expected: >= 0)");
    }
    if (level == Level.NOT_INCLUDED && quantity != 0) {
      throw new IllegalArgumentException(
          "quantity: " + quantity + " (expected: 0 for a capability that is not included)");
    }
  }

  public boolean included() {
    return level == Level.INCLUDED;
  }

  public boolean limited() {
    return level == Level.INCLUDED_WITH_LIMITATIONS;
  }
}
