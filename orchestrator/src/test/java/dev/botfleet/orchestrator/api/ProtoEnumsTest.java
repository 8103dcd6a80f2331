package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 8 (AIP-126): every wire enum value and every domain value is paired, explicitly. */
class ProtoEnumsTest {
  /** Tables whose domain side is wider than the wire type on purpose. */
  private static final Set<String> PARTIAL_DOMAIN = Set.of("RUN_OUTCOME");

  static List<java.lang.reflect.Field> tables() {
    return Arrays.stream(ProtoEnums.class.getDeclaredFields())
        .filter(f -> Modifier.isStatic(f.getModifiers()) && f.getType() == EnumTable.class)
        .toList();
  }

  @Test
  void every_wire_value_but_unspecified_has_a_domain_value() throws Exception {
    for (var f : tables()) {
      EnumTable<?, ?> t = (EnumTable<?, ?>) f.get(null);
      for (Enum<?> p : t.protoType().getEnumConstants()) {
        if (p.ordinal() == 0 || p.name().equals("UNRECOGNIZED")) {
          continue;
        }
        assertThat(t.pairs().containsValue(p)).as("%s: %s is paired", f.getName(), p).isTrue();
      }
    }
  }

  @Test
  void every_domain_value_has_a_wire_value() throws Exception {
    for (var f : tables()) {
      if (PARTIAL_DOMAIN.contains(f.getName())) {
        continue;
      }
      EnumTable<?, ?> t = (EnumTable<?, ?>) f.get(null);
      assertThat(new java.util.HashSet<Object>(t.pairs().keySet()))
          .as("%s pairs every %s", f.getName(), t.domainType().getSimpleName())
          .isEqualTo(Set.of((Object[]) t.domainType().getEnumConstants()));
    }
  }

  @Test
  void wire_values_carry_their_type_prefix_and_zero_is_unspecified() throws Exception {
    for (var f : tables()) {
      EnumTable<?, ?> t = (EnumTable<?, ?>) f.get(null);
      Enum<?>[] values = t.protoType().getEnumConstants();
      String zero = values[0].name();
      assertThat(zero).as("%s value 0", t.protoType().getSimpleName()).endsWith("_UNSPECIFIED");
      String prefix = zero.substring(0, zero.length() - "UNSPECIFIED".length());
      for (Enum<?> p : values) {
        if (!p.name().equals("UNRECOGNIZED")) {
          assertThat(p.name()).startsWith(prefix);
        }
      }
    }
  }

  @Test
  void a_missing_value_is_refused_with_the_names_a_person_types() {
    var e =
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                ProtoEnums.SKU.require(
                    dev.botfleet.proto.v1.Sku.SKU_UNSPECIFIED,
                    dev.botfleet.common.ErrorReason.SKU_REQUIRED));
    assertThat(e)
        .hasMessageContaining("sku: missing")
        .hasMessageContaining("PROCESS, UNATTENDED_RPA");
    assertThat(ProtoEnums.RUN_STATE.proto(null))
        .isEqualTo(dev.botfleet.proto.v1.RunState.RUN_STATE_UNSPECIFIED);
  }
}
