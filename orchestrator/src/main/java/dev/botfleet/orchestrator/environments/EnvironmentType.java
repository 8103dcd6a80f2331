package dev.botfleet.orchestrator.environments;

public enum EnvironmentType {
  DEFAULT,
  PRODUCTION,
  SANDBOX,
  TRIAL,
  DEVELOPER,
  TEAMS
}
