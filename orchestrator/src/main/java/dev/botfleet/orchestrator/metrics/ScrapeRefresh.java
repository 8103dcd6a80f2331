package dev.botfleet.orchestrator.metrics;

/** Gauges computed from the database are refreshed just before a scrape rather than polled. */
public interface ScrapeRefresh {
  void refresh();
}
