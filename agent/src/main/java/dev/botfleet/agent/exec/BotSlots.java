package dev.botfleet.agent.exec;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How many runs this machine executes at once, against how many bots it has (SPEC R2: one run per
 * bot, never more runs than bots). The agent takes a slot before starting a run and refuses the
 * assignment when none is free. Thread-safe.
 */
public final class BotSlots {
  private final Set<String> holders = new LinkedHashSet<>(); // guarded by this
  private int capacity; // guarded by this

  /**
   * @param bots unattended bots on this machine, at least 0 (a machine may have none yet)
   */
  public BotSlots(int bots) {
    this.capacity = checkBots(bots);
  }

  /**
   * Takes a slot for {@code runId}.
   *
   * @return {@code false} when every slot is busy, or when {@code runId} already holds one (a
   *     repeated assignment must not take a second bot; see {@link #holds})
   */
  public synchronized boolean tryAcquire(String runId) {
    requireNonNull(runId, "runId");
    if (holders.contains(runId) || holders.size() >= capacity) {
      return false;
    }
    holders.add(runId);
    return true;
  }

  /** Frees {@code runId}'s slot. @return whether it held one; releasing twice is harmless. */
  public synchronized boolean release(String runId) {
    return holders.remove(requireNonNull(runId, "runId"));
  }

  public synchronized boolean holds(String runId) {
    return holders.contains(requireNonNull(runId, "runId"));
  }

  /** Slots in use. Can exceed {@link #capacity()} for a while after the capacity was lowered. */
  public synchronized int busy() {
    return holders.size();
  }

  public synchronized int capacity() {
    return capacity;
  }

  public synchronized int free() {
    return Math.max(0, capacity - holders.size());
  }

  /**
   * Changes the number of bots, e.g. when the orchestrator allocates or removes one. Lowering it
   * does not stop runs in progress; no new run starts until they are under the new capacity.
   */
  public synchronized void setCapacity(int bots) {
    this.capacity = checkBots(bots);
  }

  /** Run ids holding a slot, in the order they took it. */
  public synchronized Set<String> holders() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(holders));
  }

  private static int checkBots(int bots) {
    if (bots < 0) {
      throw new IllegalArgumentException("bots: " + bots + " (expected: >= 0)");
    }
    return bots;
  }

  @Override
  public synchronized String toString() {
    return "BotSlots[" + holders.size() + "/" + capacity + " busy]";
  }
}
