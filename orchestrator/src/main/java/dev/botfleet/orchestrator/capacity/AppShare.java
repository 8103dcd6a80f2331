package dev.botfleet.orchestrator.capacity;

import java.time.Instant;

/** An app shared with a user in an environment: one app pass consumed (C6). */
public record AppShare(String environmentId, String app, String user, Instant sharedAt) {}
