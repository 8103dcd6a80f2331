package dev.botfleet.orchestrator.machines;

/** Told after a machine's bots or settings changed and the change committed. */
public interface MachineListener {
  void machineChanged(String machineId);
}
