package dev.botfleet.orchestrator.api;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class PrincipalLifecyclePostgresTest extends PrincipalLifecycleContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.postgres(dir);
  }
}
