package dev.botfleet.e2e;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What "exactly once under faults" means (issue 9, SPEC R2, R5, A6), checked on what a fault run
 * left behind: the runs as the API lists them (twice, some seconds apart), the ledger the flows
 * appended to, the reports the agents logged as acknowledged and what is left in their pending
 * folders. Pure: {@link #check} takes plain records, so {@code ExactlyOnceCheckerTest} proves on
 * crafted input that each violation is caught.
 */
final class ExactlyOnceChecker {
  private ExactlyOnceChecker() {}

  /** The rules, as the issue names them. */
  enum Check {
    /** Every submitted run ended exactly once in a terminal state (R5, R6). */
    ENDED_EXACTLY_ONCE,
    /** No non-retryable run executed twice (R5). */
    NON_RETRYABLE_EXECUTED_TWICE,
    /** No run executed more often than it was assigned (R5: attempts are fenced). */
    EXECUTED_MORE_THAN_ASSIGNED,
    /** No bot held two runs at once; no machine ran more flows at once than it has bots (R2). */
    BOT_HELD_TWO_RUNS,
    /** Every report the orchestrator acknowledged is the run's stored outcome (A6). */
    ACKED_REPORT_STORED
  }

  /** One broken rule: which, for which run (or key or machine), and what was seen. */
  record Violation(Check check, String subject, String detail) {
    @Override
    public String toString() {
      return check + " " + subject + ": " + detail;
    }
  }

  /** A run the test submitted and got acknowledged: its idempotency key and the run's id. */
  record Submitted(String key, String runId, boolean retryable) {}

  /** A run as the API showed it; states are the short names (SUCCEEDED, QUEUED, ...). */
  record RunRecord(
      String id,
      String state,
      int attempt,
      String machine,
      String botId,
      Instant startedAt,
      Instant endedAt,
      String lateOutcome) {}

  /** One execution of a flow process, from the ledger; {@code endNanos} null if it never ended. */
  record Execution(String runId, String machine, long pid, long startNanos, Long endNanos) {}

  /** A final report the agent of {@code machine} had acknowledged, with what it reported. */
  record AckedReport(String machine, String runId, int attempt, String outcome) {}

  /** Everything {@link #check} looks at. */
  record Input(
      List<Submitted> submitted,
      List<String> unacknowledgedKeys,
      List<RunRecord> first,
      List<RunRecord> second,
      List<Execution> executions,
      List<AckedReport> acked,
      Map<String, List<String>> pendingLeft,
      Map<String, Integer> botsPerMachine) {}

  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT");

  /** Every violation found, in a stable order (by check, then as found). */
  static List<Violation> check(Input in) {
    List<Violation> out = new ArrayList<>();
    endedExactlyOnce(in, out);
    executions(in, out);
    botsHeldOneRun(in, out);
    ackedReportsStored(in, out);
    out.sort(Comparator.comparing(Violation::check));
    return out;
  }

  private static void endedExactlyOnce(Input in, List<Violation> out) {
    for (String key : in.unacknowledgedKeys()) {
      out.add(
          new Violation(
              Check.ENDED_EXACTLY_ONCE, key, "submission never acknowledged, even after healing"));
    }
    Map<String, String> keyOfRun = new HashMap<>();
    for (Submitted s : in.submitted()) {
      String other = keyOfRun.put(s.runId(), s.key());
      if (other != null) {
        out.add(
            new Violation(
                Check.ENDED_EXACTLY_ONCE,
                s.runId(),
                "two submissions (" + other + ", " + s.key() + ") were given the same run"));
      }
    }
    Map<String, RunRecord> first = byId(in.first(), null);
    Map<String, RunRecord> second = byId(in.second(), out);
    Map<String, Long> completed = new HashMap<>();
    for (Execution e : in.executions()) {
      if (e.endNanos() != null) {
        completed.merge(e.runId(), 1L, Long::sum);
      }
    }
    for (Submitted s : in.submitted()) {
      RunRecord a = first.get(s.runId());
      RunRecord b = second.get(s.runId());
      if (b == null) {
        out.add(
            new Violation(
                Check.ENDED_EXACTLY_ONCE,
                s.runId(),
                "submitted as " + s.key() + " but not listed"));
        continue;
      }
      if (!TERMINAL.contains(b.state())) {
        out.add(
            new Violation(
                Check.ENDED_EXACTLY_ONCE,
                s.runId(),
                "still " + b.state() + " (attempt " + b.attempt() + ") after the queue drained"));
        continue;
      }
      if (a == null
          || !a.state().equals(b.state())
          || !Objects.equals(a.endedAt(), b.endedAt())
          || a.attempt() != b.attempt()) {
        out.add(
            new Violation(
                Check.ENDED_EXACTLY_ONCE,
                s.runId(),
                "changed after it ended: "
                    + (a == null ? "not listed" : a.state() + " ended " + a.endedAt())
                    + ", then "
                    + b.state()
                    + " ended "
                    + b.endedAt()));
      }
      if (b.state().equals("SUCCEEDED") && completed.getOrDefault(s.runId(), 0L) == 0) {
        out.add(
            new Violation(
                Check.ENDED_EXACTLY_ONCE,
                s.runId(),
                "SUCCEEDED but its flow never completed an execution (ledger)"));
      }
    }
    for (RunRecord r : in.second()) {
      if (!keyOfRun.containsKey(r.id())) {
        out.add(
            new Violation(
                Check.ENDED_EXACTLY_ONCE,
                r.id(),
                "listed (" + r.state() + ") but no acknowledged submission created it"));
      }
    }
  }

  /** Runs by id; a run listed twice is a violation when {@code out} is given. */
  private static Map<String, RunRecord> byId(List<RunRecord> runs, List<Violation> out) {
    Map<String, RunRecord> m = new LinkedHashMap<>();
    for (RunRecord r : runs) {
      if (m.put(r.id(), r) != null && out != null) {
        out.add(new Violation(Check.ENDED_EXACTLY_ONCE, r.id(), "listed twice"));
      }
    }
    return m;
  }

  private static void executions(Input in, List<Violation> out) {
    Map<String, List<Execution>> perRun = new TreeMap<>();
    for (Execution e : in.executions()) {
      perRun.computeIfAbsent(e.runId(), k -> new ArrayList<>()).add(e);
    }
    Map<String, Submitted> submitted = new HashMap<>();
    in.submitted().forEach(s -> submitted.put(s.runId(), s));
    Map<String, RunRecord> runs = byId(in.second(), null);
    perRun.forEach(
        (runId, list) -> {
          Submitted s = submitted.get(runId);
          RunRecord r = runs.get(runId);
          if ((s == null || !s.retryable()) && list.size() > 1) {
            out.add(
                new Violation(
                    Check.NON_RETRYABLE_EXECUTED_TWICE,
                    runId,
                    "executed " + list.size() + " times: " + describe(list)));
          }
          if (r != null && list.size() > Math.max(r.attempt(), 0)) {
            out.add(
                new Violation(
                    Check.EXECUTED_MORE_THAN_ASSIGNED,
                    runId,
                    "executed "
                        + list.size()
                        + " times in "
                        + r.attempt()
                        + " attempt(s): "
                        + describe(list)));
          }
        });
  }

  private static String describe(List<Execution> list) {
    List<String> parts = new ArrayList<>();
    for (Execution e : list) {
      parts.add(
          "pid "
              + e.pid()
              + " on "
              + e.machine()
              + " at "
              + instant(e.startNanos())
              + (e.endNanos() == null ? " (never ended)" : " to " + instant(e.endNanos())));
    }
    return String.join("; ", parts);
  }

  private static void botsHeldOneRun(Input in, List<Violation> out) {
    // As the orchestrator recorded it: per bot, the started..ended intervals of its runs.
    Map<String, List<RunRecord>> perBot = new TreeMap<>();
    for (RunRecord r : in.second()) {
      if (r.botId() != null
          && !r.botId().isEmpty()
          && r.startedAt() != null
          && r.endedAt() != null) {
        perBot.computeIfAbsent(r.botId(), k -> new ArrayList<>()).add(r);
      }
    }
    perBot.forEach(
        (bot, runs) -> {
          runs.sort(Comparator.comparing(RunRecord::startedAt));
          RunRecord open = null;
          for (RunRecord r : runs) {
            if (open != null && r.startedAt().isBefore(open.endedAt())) {
              out.add(
                  new Violation(
                      Check.BOT_HELD_TWO_RUNS,
                      r.id(),
                      "bot "
                          + bot
                          + " ran it from "
                          + r.startedAt()
                          + " while it ran "
                          + open.id()
                          + " ("
                          + open.startedAt()
                          + " to "
                          + open.endedAt()
                          + ")"));
            }
            if (open == null || r.endedAt().isAfter(open.endedAt())) {
              open = r;
            }
          }
        });
    // As it happened: per machine, flow processes alive at once (their own clock) versus bots.
    Map<String, List<Execution>> perMachine = new TreeMap<>();
    for (Execution e : in.executions()) {
      if (e.endNanos() != null) {
        perMachine.computeIfAbsent(e.machine(), k -> new ArrayList<>()).add(e);
      }
    }
    perMachine.forEach(
        (machine, list) -> {
          int bots = in.botsPerMachine().getOrDefault(machine, 0);
          List<long[]> events = new ArrayList<>();
          for (int i = 0; i < list.size(); i++) {
            events.add(new long[] {list.get(i).startNanos(), 1, i});
            events.add(new long[] {list.get(i).endNanos(), -1, i});
          }
          // At one instant an end comes before a start: back-to-back runs do not overlap.
          events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
          java.util.Set<Integer> alive = new java.util.TreeSet<>();
          boolean reported = false;
          for (long[] e : events) {
            if (e[1] > 0) {
              alive.add((int) e[2]);
              if (alive.size() > bots && !reported) {
                List<Execution> at = new ArrayList<>();
                alive.forEach(i -> at.add(list.get(i)));
                out.add(
                    new Violation(
                        Check.BOT_HELD_TWO_RUNS,
                        list.get((int) e[2]).runId(),
                        machine
                            + " ran "
                            + alive.size()
                            + " flows at once with "
                            + bots
                            + " bots, at "
                            + instant(e[0])
                            + ": "
                            + describe(at)));
                reported = true; // one per machine and episode is enough to read
              }
            } else {
              alive.remove((int) e[2]);
              if (alive.size() <= bots) {
                reported = false;
              }
            }
          }
        });
  }

  private static void ackedReportsStored(Input in, List<Violation> out) {
    Map<String, RunRecord> runs = byId(in.second(), null);
    for (AckedReport a : in.acked()) {
      RunRecord r = runs.get(a.runId());
      if (r == null) {
        out.add(
            new Violation(
                Check.ACKED_REPORT_STORED,
                a.runId(),
                a.machine() + " had its report acknowledged, but the run is not listed"));
        continue;
      }
      if (a.attempt() >= 0 && r.attempt() != a.attempt()) {
        continue; // a report of an older attempt: fenced off by design (R5)
      }
      if (!TERMINAL.contains(r.state())) {
        out.add(
            new Violation(
                Check.ACKED_REPORT_STORED,
                a.runId(),
                a.machine()
                    + " had its "
                    + a.outcome()
                    + " report (attempt "
                    + a.attempt()
                    + ") acknowledged, but the run is "
                    + r.state()));
      } else if (a.outcome() != null
          && !a.outcome().equals(r.state())
          && !a.outcome().equals(r.lateOutcome())) {
        out.add(
            new Violation(
                Check.ACKED_REPORT_STORED,
                a.runId(),
                a.machine()
                    + " had its "
                    + a.outcome()
                    + " report (attempt "
                    + a.attempt()
                    + ") acknowledged, but the run is stored "
                    + r.state()
                    + (r.lateOutcome() == null ? "" : " with late outcome " + r.lateOutcome())));
      }
    }
    in.pendingLeft()
        .forEach(
            (machine, left) -> {
              for (String runId : left) {
                out.add(
                    new Violation(
                        Check.ACKED_REPORT_STORED,
                        runId,
                        machine + " still holds its final report: never acknowledged"));
              }
            });
  }

  // ------------------------------------------------------------------ parsing

  private static final Pattern LEDGER_LINE =
      Pattern.compile("(start|end) (\\S+) (\\S+) (\\S+) (\\d+) (\\d+)");

  /**
   * Executions from the lines of {@link Flows#LEDGER}: a start and the end of the same process
   * (run, machine, pid) are one execution; a start without an end never ended.
   */
  static List<Execution> parseLedger(List<String> lines) {
    Map<String, long[]> open = new LinkedHashMap<>();
    Map<String, String[]> who = new HashMap<>();
    List<Execution> out = new ArrayList<>();
    for (String line : lines) {
      Matcher m = LEDGER_LINE.matcher(line.trim());
      if (!m.matches()) {
        continue; // a torn line of a process killed mid-write
      }
      String key = m.group(2) + " " + m.group(4) + " " + m.group(5);
      long at = Long.parseLong(m.group(6));
      if (m.group(1).equals("start")) {
        open.put(key, new long[] {Long.parseLong(m.group(5)), at});
        who.put(key, new String[] {m.group(2), m.group(4)});
      } else {
        long[] s = open.remove(key);
        String[] w = who.remove(key);
        if (s != null) {
          out.add(new Execution(w[0], w[1], s[0], s[1], at));
        }
      }
    }
    open.forEach(
        (key, s) -> out.add(new Execution(who.get(key)[0], who.get(key)[1], s[0], s[1], null)));
    return out;
  }

  private static final Pattern FINISHED =
      Pattern.compile("event=run_finished machine=\\S+ run=(\\S+) attempt=(\\d+) outcome=(\\S+)");
  private static final Pattern ACKED =
      Pattern.compile("event=report_acked machine=\\S+ run=(\\S+) was_pending=true");

  /**
   * The reports acknowledged to the agent of {@code machine}, from its logs (each process's log, in
   * start order): an acknowledgement names the run, the last {@code run_finished} before it says
   * what the report held.
   */
  static List<AckedReport> parseAgentLogs(String machine, List<String> lines) {
    Map<String, String[]> finished = new HashMap<>();
    List<AckedReport> out = new ArrayList<>();
    for (String line : lines) {
      Matcher f = FINISHED.matcher(line);
      if (f.find()) {
        finished.put(f.group(1), new String[] {f.group(2), f.group(3)});
        continue;
      }
      Matcher a = ACKED.matcher(line);
      if (a.find()) {
        String[] what = finished.get(a.group(1));
        out.add(
            new AckedReport(
                machine,
                a.group(1),
                what == null ? -1 : Integer.parseInt(what[0]),
                what == null ? null : what[1]));
      }
    }
    return out;
  }

  static Instant instant(long epochNanos) {
    return Instant.ofEpochSecond(epochNanos / 1_000_000_000L, epochNanos % 1_000_000_000L);
  }
}
