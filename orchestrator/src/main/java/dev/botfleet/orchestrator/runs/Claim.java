package dev.botfleet.orchestrator.runs;

/**
 * A queued run matched to a free bot of a connected machine; {@code attempt} is the new attempt.
 */
public record Claim(Run run, String machineId, String botId, int attempt) {}
