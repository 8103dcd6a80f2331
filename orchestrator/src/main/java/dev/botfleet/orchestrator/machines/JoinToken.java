package dev.botfleet.orchestrator.machines;

import java.time.Instant;

/** A1: a one-time token an admin makes for an environment (and optionally a group). */
public record JoinToken(
    String id,
    String environmentId,
    String groupId,
    Instant expiresAt,
    Instant usedAt,
    boolean revoked) {}
