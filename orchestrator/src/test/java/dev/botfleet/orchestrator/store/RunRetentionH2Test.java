package dev.botfleet.orchestrator.store;

import java.nio.file.Path;

class RunRetentionH2Test extends RunRetentionContract {
  @Override
  Database open(Path dir) {
    return Database.open(Database.h2FileUrl(dir), null, null, 4);
  }
}
