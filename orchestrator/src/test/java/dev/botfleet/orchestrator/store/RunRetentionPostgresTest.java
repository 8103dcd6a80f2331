package dev.botfleet.orchestrator.store;

import dev.botfleet.testing.TestDatabases;
import java.nio.file.Path;

class RunRetentionPostgresTest extends RunRetentionContract {
  @Override
  Database open(Path dir) {
    TestDatabases.Db db = TestDatabases.postgres();
    return Database.open(db.url(), db.user(), db.password(), 4);
  }
}
