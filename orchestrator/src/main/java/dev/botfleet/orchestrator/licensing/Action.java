package dev.botfleet.orchestrator.licensing;

/** What a user wants to do, as the entitlement check (L7) knows it. */
public enum Action {
  /** Create a cloud flow; with a connector tier, the highest tier the flow uses. */
  CREATE_FLOW,
  /** Run a cloud flow; with a connector tier, the highest tier the flow uses. */
  RUN_FLOW,
  /** Share a cloud flow with other users (L4). */
  SHARE_FLOW,
  /** Use a connector of a given tier in a flow; the tier is required. */
  USE_CONNECTOR,
  /** Create a desktop flow (RPA) in an environment (L7, L8). */
  CREATE_DESKTOP_FLOW,
  /** Run a desktop flow attended, on the user's own session. */
  RUN_ATTENDED,
  /** Run a desktop flow unattended, on a bot (P5). */
  RUN_UNATTENDED,
  /** Create a business process flow (L8). */
  CREATE_BUSINESS_PROCESS_FLOW
}
