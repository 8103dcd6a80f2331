package dev.botfleet.orchestrator.admin;

import java.util.List;

/**
 * One page of the audit log, newest first by id (issue 8 §2). {@code nextBeforeId} is the id of the
 * last event (the next page holds only smaller ids), or null on the last page. Ids are assigned on
 * insert and never change, so new events land before the first page, never inside the walk.
 */
public record AuditPage(List<AuditEvent> events, Long nextBeforeId) {}
