package dev.botfleet.orchestrator.runs;

import java.time.Instant;

/**
 * Where a page of runs ended (issue 8 §2): the key of its last run in list order, newest first by
 * {@code (submittedAt DESC, seq DESC)}. Both parts are fixed when a run is inserted, so the next
 * page, which starts strictly after this key, never repeats or skips a run that existed before:
 * newer runs land before the first page, not inside the walk.
 *
 * @param submittedAt the submission time as stored
 * @param seq the insertion sequence, unique per run
 */
public record RunCursor(Instant submittedAt, long seq) {}
