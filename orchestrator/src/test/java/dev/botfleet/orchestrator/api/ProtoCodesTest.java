package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.runs.WaitReason;
import dev.botfleet.proto.v1.OsFamily;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.WaitCode;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 8 §2: closed sets are enums on the wire, and every value of each set is reachable. */
class ProtoCodesTest {
  @Test
  void r8_every_wait_code_the_domain_names_has_its_wire_value() throws Exception {
    Set<WaitCode> reached = new HashSet<>();
    for (Field f : WaitReason.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        WaitCode w = ProtoCodes.waitCode((String) f.get(null));
        assertThat(w).as(f.getName()).isNotEqualTo(WaitCode.WAIT_CODE_UNSPECIFIED);
        reached.add(w);
      }
    }
    assertThat(reached)
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(WaitCode.values())
                .filter(w -> w != WaitCode.WAIT_CODE_UNSPECIFIED && w != WaitCode.UNRECOGNIZED)
                .toList());
  }

  @Test
  void every_failure_reason_round_trips_between_wire_and_store() {
    for (RunFailureReason r : RunFailureReason.values()) {
      if (r == RunFailureReason.UNRECOGNIZED) {
        continue;
      }
      String stored = ProtoCodes.failureReason(r, 3);
      assertThat(ProtoCodes.failureReason(stored)).as(r.name()).isEqualTo(r);
    }
    assertThat(ProtoCodes.failureReason(RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE, 3))
        .isEqualTo("EXIT_CODE_3");
    // A code an older agent stored that the set does not know reads as AGENT_ERROR.
    assertThat(ProtoCodes.failureReason("INVALID_FLOW_NAME: ../x"))
        .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR);
  }

  @Test
  void a2_os_families_round_trip_and_an_unknown_one_is_other() {
    for (OsFamily f : OsFamily.values()) {
      if (f == OsFamily.UNRECOGNIZED || f == OsFamily.OS_FAMILY_UNSPECIFIED) {
        continue;
      }
      assertThat(ProtoCodes.osFamily(ProtoCodes.osFamily(f))).isEqualTo(f);
    }
    assertThat(ProtoCodes.osFamily(OsFamily.OS_FAMILY_UNSPECIFIED)).isEqualTo("OTHER");
    assertThat(ProtoCodes.osFamily("SOLARIS")).isEqualTo(OsFamily.OS_FAMILY_OTHER);
  }

  @Test
  void p8_and_m6_closed_sets_reach_every_wire_value() {
    assertThat(ProtoCodes.PROCESS_UNIT_HOLDER.values())
        .containsExactlyInAnyOrder(
            dev.botfleet.proto.v1.ProcessUnitHolder.PROCESS_UNIT_HOLDER_MACHINE,
            dev.botfleet.proto.v1.ProcessUnitHolder.PROCESS_UNIT_HOLDER_FLOW);
    assertThat(ProtoCodes.PROCESS_UNIT_SOURCE).hasSize(3);
    for (var b : dev.botfleet.orchestrator.machines.Bot.Source.values()) {
      assertThat(ProtoCodes.processUnitSource(b.name()))
          .as(b.name())
          .isNotEqualTo(dev.botfleet.proto.v1.ProcessUnitSource.PROCESS_UNIT_SOURCE_UNSPECIFIED);
    }
    assertThat(ProtoCodes.USAGE_SUBJECT).hasSize(2);
  }
}
