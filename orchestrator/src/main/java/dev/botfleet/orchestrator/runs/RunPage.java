package dev.botfleet.orchestrator.runs;

import java.util.List;

/** One page of a run list (issue 8 §2); {@code next} is null on the last page. */
public record RunPage<T>(List<T> items, RunCursor next) {}
