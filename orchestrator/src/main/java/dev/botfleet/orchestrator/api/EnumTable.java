package dev.botfleet.orchestrator.api;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ProtocolMessageEnum;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A two-way table between a domain enum and its {@code botfleet.v1} enum, written out pair by pair
 * (issue 8: never {@code valueOf(x.name())}, so renaming either side cannot silently change the
 * wire). {@code ProtoEnumsTest} checks that every constant of both sides is paired.
 */
final class EnumTable<D extends Enum<D>, P extends Enum<P> & ProtocolMessageEnum> {
  private final Class<D> domainType;
  private final Class<P> protoType;
  private final String field;
  private final String prefix;
  private final Map<D, P> toProto;
  private final Map<P, D> toDomain;

  private EnumTable(Class<D> domainType, Class<P> protoType, String field, Map<D, P> toProto) {
    this.domainType = domainType;
    this.protoType = protoType;
    this.field = field;
    this.toProto = toProto;
    this.toDomain = new EnumMap<>(protoType);
    toProto.forEach((d, p) -> toDomain.put(p, d));
    String unspecified = protoType.getEnumConstants()[0].name();
    this.prefix = unspecified.substring(0, unspecified.length() - "UNSPECIFIED".length());
  }

  static <D extends Enum<D>, P extends Enum<P> & ProtocolMessageEnum> Builder<D, P> of(
      Class<D> domainType, Class<P> protoType, String field) {
    return new Builder<>(domainType, protoType, field);
  }

  static final class Builder<D extends Enum<D>, P extends Enum<P> & ProtocolMessageEnum> {
    private final Class<D> domainType;
    private final Class<P> protoType;
    private final String field;
    private final Map<D, P> pairs;

    private Builder(Class<D> domainType, Class<P> protoType, String field) {
      this.domainType = requireNonNull(domainType, "domainType");
      this.protoType = requireNonNull(protoType, "protoType");
      this.field = requireNonNull(field, "field");
      this.pairs = new EnumMap<>(domainType);
    }

    Builder<D, P> pair(D domain, P proto) {
      if (pairs.containsKey(domain) || pairs.containsValue(proto)) {
        throw new IllegalStateException("paired twice: " + domain + " / " + proto);
      }
      pairs.put(domain, proto);
      return this;
    }

    EnumTable<D, P> build() {
      return new EnumTable<>(domainType, protoType, field, pairs);
    }
  }

  /** The wire value; the type's {@code …_UNSPECIFIED} (0) for null. */
  P proto(D domain) {
    if (domain == null) {
      return protoType.getEnumConstants()[0];
    }
    P p = toProto.get(domain);
    if (p == null) {
      throw new IllegalStateException(
          domainType.getSimpleName() + "." + domain + " has no wire value");
    }
    return p;
  }

  /** The domain value, or null for {@code …_UNSPECIFIED} (the caller's default applies). */
  D domainOrNull(P proto) {
    if (proto == null || proto.ordinal() == 0) {
      return null;
    }
    D d = toDomain.get(proto);
    if (d == null) {
      // UNRECOGNIZED, or a wire value this side does not take (e.g. a partial table).
      throw BotfleetException.invalid(
          ErrorReason.INVALID_ARGUMENT_UNKNOWN_ENUM, field + ": not one of " + names());
    }
    return d;
  }

  /** The domain value; a missing one is refused with {@code reason}. */
  D require(P proto, ErrorReason reason) {
    D d = domainOrNull(proto);
    if (d == null) {
      throw BotfleetException.invalid(
          reason, field + ": missing (expected: one of " + names() + ")");
    }
    return d;
  }

  Class<D> domainType() {
    return domainType;
  }

  Class<P> protoType() {
    return protoType;
  }

  Map<D, P> pairs() {
    return toProto;
  }

  /** The values a person types and reads: wire names without the type's prefix. */
  String names() {
    return toDomain.keySet().stream()
        .map(p -> p.name().substring(prefix.length()))
        .collect(Collectors.joining(", "));
  }
}
