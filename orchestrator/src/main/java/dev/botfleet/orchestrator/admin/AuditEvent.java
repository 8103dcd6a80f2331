package dev.botfleet.orchestrator.admin;

import java.time.Instant;

/** One change: who, when, what, before and after (C5). */
public record AuditEvent(
    long id, Instant at, String actor, String action, String target, String before, String after) {}
