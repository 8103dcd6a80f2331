/**
 * User licenses and entitlements (SPEC L1–L8) and the flow-plan request figures (P3, P4, P7, P9).
 *
 * <p>Pure domain code: it imports only the JDK and {@code dev.botfleet.common}. {@link
 * dev.botfleet.orchestrator.licensing.EntitlementMatrix} holds the [003] matrix as one table;
 * {@link dev.botfleet.orchestrator.licensing.EntitlementCheck} is the L7 decision function; {@link
 * dev.botfleet.orchestrator.licensing.LicenseType} carries the L1 facts (legacy, trial length,
 * assignment cut-off). Cells and rules the documents leave open are marked {@code [beyond]} where
 * they are decided.
 */
package dev.botfleet.orchestrator.licensing;
