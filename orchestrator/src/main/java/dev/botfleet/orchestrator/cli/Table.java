package dev.botfleet.orchestrator.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Plain aligned text tables for people; scripts use {@code -o json}. */
final class Table {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = Arrays.asList(headers);
  }

  Table row(Object... cells) {
    List<String> r = new ArrayList<>();
    for (Object c : cells) {
      r.add(WireNames.of(c));
    }
    rows.add(r);
    return this;
  }

  void print(PrintWriter out) {
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = headers.get(i).length();
      for (List<String> r : rows) {
        widths[i] = Math.max(widths[i], i < r.size() ? r.get(i).length() : 0);
      }
    }
    line(out, headers, widths);
    for (List<String> r : rows) {
      line(out, r, widths);
    }
    out.flush();
  }

  private static void line(PrintWriter out, List<String> cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < widths.length; i++) {
      String c = i < cells.size() ? cells.get(i) : "";
      sb.append(c);
      if (i < widths.length - 1) {
        sb.append(" ".repeat(widths[i] - c.length() + 2));
      }
    }
    out.println(sb.toString().stripTrailing());
  }
}
