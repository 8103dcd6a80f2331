package dev.botfleet.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The {@code series} mode of {@link DispatchBenchmark} (issue 9, target 1): N consecutive
 * throughput runs with the same parameters, each on a fresh database, so a slow mode that comes up
 * in some runs only shows in the minimum. Prints each run's runs/s, then min / median / max and the
 * 1-minute load average before and after the series.
 */
final class Series {
  private Series() {}

  static void run(String db, int n, int machines, int bots, int runs) throws Exception {
    String before = loadAverage();
    List<Double> figures = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      double perSecond = DispatchBenchmark.throughput(db, machines, bots, runs);
      figures.add(perSecond);
      System.out.printf(
          Locale.ROOT,
          "RESULT series run=%d/%d runs_per_s=%.0f load1=%s%n",
          i,
          n,
          perSecond,
          loadAverage());
    }
    List<Double> sorted = new ArrayList<>(figures);
    Collections.sort(sorted);
    double median =
        sorted.size() % 2 == 1
            ? sorted.get(sorted.size() / 2)
            : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
    StringBuilder each = new StringBuilder();
    for (double f : figures) {
      each.append(each.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.0f", f));
    }
    System.out.printf(
        Locale.ROOT,
        "RESULT series db=%s n=%d machines=%d bots=%d runs=%d runs_per_s=[%s] min=%.0f median=%.0f max=%.0f load1_before=%s load1_after=%s%n",
        db,
        n,
        machines,
        bots,
        runs,
        each,
        sorted.get(0),
        median,
        sorted.get(sorted.size() - 1),
        before,
        loadAverage());
  }

  /** The 1-minute load average of the machine (other sessions' builds count in it too). */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }
}
