package dev.botfleet.agent.exec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Ends a process and everything it started (SPEC A4: time-out and cancel stop the whole run). */
public final class ProcessTree {
  private static final long POLL_MILLIS = 20;
  private static final boolean PROC_FS = Files.isReadable(Path.of("/proc/self/stat"));

  private ProcessTree() {}

  /**
   * Asks the root and all its descendants to stop, waits up to {@code grace} for them, then kills
   * the survivors and anything they started meanwhile.
   *
   * <p>The tree is listed before anything is signalled: once a parent dies its children are
   * re-parented and no longer show up as its descendants.
   */
  static void kill(ProcessHandle root, Duration grace) {
    killTree(root, grace);
  }

  /**
   * Stops the process tree of a flow this agent started before it restarted, if {@code pid} is
   * still that process ({@code startedAt} tells it from a later process that reused the pid).
   * Returns whether one was stopped.
   */
  public static boolean stopLeftover(long pid, java.time.Instant startedAt, Duration grace) {
    var handle = ProcessHandle.of(pid).filter(ProcessTree::isAlive);
    if (handle.isEmpty()) {
      return false;
    }
    var start = handle.get().info().startInstant();
    if (start.isEmpty()
        || Duration.between(start.get(), startedAt).abs().compareTo(Duration.ofSeconds(2)) > 0) {
      return false;
    }
    killTree(handle.get(), grace);
    return true;
  }

  private static void killTree(ProcessHandle root, Duration grace) {
    Set<ProcessHandle> tree = new LinkedHashSet<>();
    tree.add(root);
    root.descendants().forEach(tree::add);
    // Root first, so a script stops starting its next step while its children are stopped.
    tree.forEach(ProcessHandle::destroy);

    long deadline = System.nanoTime() + grace.toNanos();
    boolean interrupted = false;
    while (anyAlive(tree) && System.nanoTime() < deadline) {
      try {
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        interrupted = true; // stop waiting politely, but still kill below
        break;
      }
    }
    Set<ProcessHandle> survivors = new LinkedHashSet<>();
    for (ProcessHandle handle : List.copyOf(tree)) {
      if (isAlive(handle)) {
        survivors.add(handle);
        handle.descendants().forEach(survivors::add);
      }
    }
    survivors.forEach(ProcessHandle::destroyForcibly);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean anyAlive(Set<ProcessHandle> tree) {
    for (ProcessHandle handle : tree) {
      if (isAlive(handle)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Like {@link ProcessHandle#isAlive()} but a zombie counts as dead: a killed grandchild whose
   * parent already died waits for init to reap it, and init does not always reap (containers).
   */
  static boolean isAlive(ProcessHandle handle) {
    if (!handle.isAlive()) {
      return false;
    }
    if (!PROC_FS) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
      // Format: "pid (comm) S ..."; comm may hold spaces and parentheses, so look after the last
      // ')'.
      int close = stat.lastIndexOf(')');
      if (close < 0 || close + 2 >= stat.length()) {
        return true;
      }
      char state = stat.charAt(close + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false; // the /proc entry is gone: the process is gone
    }
  }
}
