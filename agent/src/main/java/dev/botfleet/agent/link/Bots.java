package dev.botfleet.agent.link;

import dev.botfleet.agent.exec.RunListener;
import dev.botfleet.agent.exec.RunRequest;

/**
 * The machine's unattended bots as the link sees them (SPEC P5, R2): each bot carries one run at a
 * time. {@link LocalBots} runs real flow processes; the fleet simulator has virtual ones.
 *
 * <p>Starting is two steps so the link can acknowledge an assignment before the run can report
 * anything: {@link #tryReserve} takes a free bot, then {@link #launch} starts the run on it.
 * Implementations are thread-safe.
 */
public interface Bots {

  /**
   * Takes a free bot for {@code runId}.
   *
   * @return {@code false} when every bot is busy (or {@code runId} already holds one)
   */
  boolean tryReserve(String runId);

  /**
   * Starts a run on the bot reserved for it. The listener hears {@code onStarted} (when a process
   * started) and exactly one {@code onFinished}; the bot is free again before {@code onFinished} is
   * called, so the orchestrator may assign the next run as soon as it reads the report. Failures to
   * start end the run through {@code onFinished}, never by throwing.
   */
  void launch(RunRequest request, RunListener listener);

  /**
   * Asks a run to stop (SPEC R7): its process tree is killed and it finishes {@code CANCELLED}.
   *
   * @return whether a run of that id was running here
   */
  boolean cancel(String runId);

  /** Bots executing a run now. */
  int busy();

  /** Sets the number of bots allocated to this machine (from the orchestrator's Settings). */
  void setBots(int bots);
}
