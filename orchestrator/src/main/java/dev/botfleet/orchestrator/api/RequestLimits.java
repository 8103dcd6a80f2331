package dev.botfleet.orchestrator.api;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.RateLimitedLog;
import dev.botfleet.orchestrator.machines.MachineCertificates;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Bounds every inbound message of every RPC, unary and the agent stream alike (issue 7, DESIGN
 * "API": every numeric and string field has a documented bound checked at the API).
 *
 * <p>The message is walked with protobuf reflection, so a new field is bounded the day it is added:
 * strings (also map keys and values, repeated items) get {@link #DEFAULT_MAX_CHARS} characters
 * unless {@link #STRINGS} says more; repeated and map fields get {@link #DEFAULT_MAX_ITEMS} items
 * unless {@link #ITEMS} says otherwise; every numeric field must have an explicit range in {@link
 * #NUMBERS} (a test fails for one without); enum values this server does not know are refused. A
 * violation answers {@code INVALID_ARGUMENT} naming the field and the bound, never echoing a string
 * of the input. A stream is closed with that status.
 *
 * <p>Malformed bytes: {@link #guard} wraps each method's request marshaller so a parse failure
 * reaches this interceptor as a null message and answers {@code INVALID_ARGUMENT} (grpc-java would
 * otherwise close the call {@code UNKNOWN} and log a stack trace per call).
 *
 * <p>{@code docs/limits.md} is this table in words; {@code RequestLimitsTest} keeps them equal.
 */
public final class RequestLimits implements ServerInterceptor {
  public static final int DEFAULT_MAX_CHARS = 256;
  public static final int DEFAULT_MAX_ITEMS = 1000;

  /** The most of a string of the input an error message may quote (issue 7). */
  static final int MAX_EXCERPT = 32;

  public static final ErrorReason TOO_LONG = ErrorReason.INVALID_ARGUMENT_TOO_LONG;
  public static final ErrorReason TOO_MANY = ErrorReason.INVALID_ARGUMENT_TOO_MANY;
  public static final ErrorReason OUT_OF_RANGE = ErrorReason.INVALID_ARGUMENT_OUT_OF_RANGE;
  public static final ErrorReason UNKNOWN_ENUM = ErrorReason.INVALID_ARGUMENT_UNKNOWN_ENUM;
  public static final ErrorReason MALFORMED = ErrorReason.INVALID_ARGUMENT_MALFORMED;

  private static final RateLimitedLog LOG =
      new RateLimitedLog(LoggerFactory.getLogger(RequestLimits.class), 60, TimeUnit.SECONDS);

  /**
   * An inclusive range of a numeric field; {@code reason} is the rule reason a violation carries.
   */
  public record Range(long min, long max, ErrorReason reason, String meaning) {
    boolean contains(long v) {
      return v >= min && v <= max;
    }

    /** False for NaN and infinities outside the range. */
    boolean contains(double v) {
      return v >= min && v <= max;
    }

    String text() {
      return number(min) + " to " + number(max);
    }

    static String number(long v) {
      return v == Long.MAX_VALUE ? "2^63-1" : v == Long.MIN_VALUE ? "-2^63" : Long.toString(v);
    }
  }

  static final long DAY = 86_400;

  /** Longest queue or run time-out (R10): 30 days. Longer ones made dispatch overflow (issue 7). */
  public static final long MAX_TIMEOUT_SECONDS =
      dev.botfleet.orchestrator.runs.RunService.MAX_TIMEOUT.toSeconds();

  /** Most units one purchase may add (C1). */
  public static final long MAX_PURCHASE_QUANTITY = 1_000_000;

  /** Most units of one SKU allocated to one environment (C2); also the most purchased per SKU. */
  public static final long MAX_UNITS = dev.botfleet.orchestrator.capacity.CapacityService.MAX_UNITS;

  /** Most bots or process units moved by one call (P3, P5, P10). */
  public static final long MAX_COUNT = 10_000;

  /** Sessions and bots of one machine (A2, P5). */
  public static final long MAX_SESSIONS = 10_000;

  /** Every List* RPC: each pages with page_size and page_token (issue 8 §2). */
  static final List<String> PAGED_LISTS =
      List.of(
          "ListPrincipals",
          "ListAuditEvents",
          "ListPurchases",
          "ListAppShares",
          "ListEnvironments",
          "ListFlows",
          "ListUsers",
          "ListLicenses",
          "ListSelfServiceTrials",
          "ListMachines",
          "ListGroups",
          "ListRuns",
          "ListDesktopFlows");

  /** Numeric fields by full name → inclusive range. Every numeric field of a request is here. */
  public static final Map<String, Range> NUMBERS;

  /**
   * String fields (map keys: {@code …Entry.key}, values: {@code …Entry.value}) allowed more or
   * fewer characters.
   */
  public static final Map<String, Integer> STRINGS;

  /** Repeated and map fields allowed more or fewer items than {@link #DEFAULT_MAX_ITEMS}. */
  public static final Map<String, Integer> ITEMS;

  static {
    Map<String, Range> n = new LinkedHashMap<>();
    // runs.proto (R1, R10)
    // Durations (google.protobuf.Duration) are bounded as one number of seconds, per field.
    n.put(
        "botfleet.v1.SubmitRunRequest.queue_timeout",
        new Range(
            0,
            MAX_TIMEOUT_SECONDS,
            ErrorReason.R10_TIMEOUT,
            "duration in seconds; 0 = the desktop flow's default"));
    n.put(
        "botfleet.v1.SubmitRunRequest.run_timeout",
        new Range(
            0,
            MAX_TIMEOUT_SECONDS,
            ErrorReason.R10_TIMEOUT,
            "duration in seconds; 0 = the desktop flow's default"));
    n.put(
        "botfleet.v1.SetDesktopFlowRequest.queue_timeout",
        new Range(
            0, MAX_TIMEOUT_SECONDS, ErrorReason.R10_TIMEOUT, "duration in seconds; 0 = 6 hours"));
    n.put(
        "botfleet.v1.SetDesktopFlowRequest.run_timeout",
        new Range(
            0, MAX_TIMEOUT_SECONDS, ErrorReason.R10_TIMEOUT, "duration in seconds; 0 = 24 hours"));
    // capacity.proto (C1, C2)
    n.put(
        "botfleet.v1.CreatePurchaseRequest.quantity",
        new Range(1, MAX_PURCHASE_QUANTITY, ErrorReason.C1_QUANTITY, "units"));
    n.put(
        "botfleet.v1.SetAllocationRequest.quantity",
        new Range(0, MAX_UNITS, ErrorReason.C2_QUANTITY, "units"));
    // admin.proto (M2, M3)
    n.put(
        "botfleet.v1.UpdateTenantSettingsRequest.limit_multiplier",
        new Range(1, 1000, ErrorReason.M3_LIMIT_MULTIPLIER, "factor"));
    n.put(
        "botfleet.v1.UpdateTenantSettingsRequest.metering_day_offset_minutes",
        new Range(-840, 840, ErrorReason.M2_DAY_OFFSET, "minutes"));
    // admin.proto (issue 12 §3)
    long maxLife = dev.botfleet.orchestrator.principals.PrincipalService.MAX_TOKEN_LIFE.toSeconds();
    long maxGrace = dev.botfleet.orchestrator.principals.PrincipalService.MAX_GRACE.toSeconds();
    n.put(
        "botfleet.v1.CreatePrincipalRequest.expires_in",
        new Range(0, maxLife, ErrorReason.PRINCIPAL_TOKEN_LIFE, "duration in seconds; 0 = never"));
    n.put(
        "botfleet.v1.RotatePrincipalTokenRequest.expires_in",
        new Range(0, maxLife, ErrorReason.PRINCIPAL_TOKEN_LIFE, "duration in seconds; 0 = never"));
    n.put(
        "botfleet.v1.RotatePrincipalTokenRequest.grace",
        new Range(
            0,
            maxGrace,
            ErrorReason.PRINCIPAL_TOKEN_LIFE,
            "duration in seconds; 0 = the old token stops at once"));
    // flows.proto (P3)
    n.put(
        "botfleet.v1.AllocateProcessRequest.count",
        new Range(1, MAX_COUNT, ErrorReason.P3_COUNT, "process units"));
    n.put(
        "botfleet.v1.DeallocateProcessRequest.count",
        new Range(1, MAX_COUNT, ErrorReason.P3_COUNT, "process units"));
    // machines.proto (A1, P5, P10)
    n.put(
        "botfleet.v1.CreateJoinTokenRequest.ttl",
        new Range(0, MAX_TIMEOUT_SECONDS, ErrorReason.A1_TTL, "duration in seconds; 0 = 1 hour"));
    n.put(
        "botfleet.v1.AllocateBotsRequest.count",
        new Range(1, MAX_COUNT, ErrorReason.P5_COUNT, "bots"));
    n.put(
        "botfleet.v1.DeallocateBotsRequest.count",
        new Range(1, MAX_COUNT, ErrorReason.P10_COUNT, "bots"));
    // metering.proto (M1)
    n.put(
        "botfleet.v1.UsageRecord.requests",
        new Range(1, 1_000_000_000, ErrorReason.M1_REQUESTS, "requests"));
    // agent.proto (A2–A4)
    n.put("botfleet.v1.MachineCapacity.logical_cpus", new Range(0, 65_536, OUT_OF_RANGE, "CPUs"));
    n.put(
        "botfleet.v1.MachineCapacity.memory_bytes",
        new Range(0, 1L << 52, OUT_OF_RANGE, "bytes (4 PiB)"));
    n.put(
        "botfleet.v1.MachineCapacity.active_sessions",
        new Range(0, MAX_SESSIONS, OUT_OF_RANGE, "sessions"));
    n.put(
        "botfleet.v1.MachineCapacity.max_sessions",
        new Range(0, MAX_SESSIONS, OUT_OF_RANGE, "sessions"));
    n.put(
        "botfleet.v1.Heartbeat.sequence",
        new Range(Long.MIN_VALUE, Long.MAX_VALUE, OUT_OF_RANGE, "opaque, not interpreted"));
    n.put(
        "botfleet.v1.Heartbeat.active_sessions",
        new Range(0, MAX_SESSIONS, OUT_OF_RANGE, "sessions"));
    n.put("botfleet.v1.Heartbeat.busy_bots", new Range(0, MAX_SESSIONS, OUT_OF_RANGE, "bots"));
    n.put(
        "botfleet.v1.RunUpdate.attempt",
        new Range(0, Integer.MAX_VALUE, OUT_OF_RANGE, "attempt number"));
    n.put(
        "botfleet.v1.AssignAck.attempt",
        new Range(0, Integer.MAX_VALUE, OUT_OF_RANGE, "attempt number"));
    n.put(
        "botfleet.v1.RunFinished.exit_code",
        new Range(Integer.MIN_VALUE, Integer.MAX_VALUE, OUT_OF_RANGE, "any 32-bit exit code"));
    // Every List* RPC pages (AIP-158, issue 8 §2); see Paging.
    for (String list : PAGED_LISTS) {
      n.put(
          "botfleet.v1." + list + "Request.page_size",
          new Range(
              0,
              Paging.MAX_PAGE_SIZE,
              OUT_OF_RANGE,
              "items per page; 0 = " + Paging.DEFAULT_PAGE_SIZE));
    }
    // Every Timestamp (run reports, license ends): the range google.protobuf.Timestamp allows.
    n.put(
        "google.protobuf.Timestamp.seconds",
        new Range(-62_135_596_800L, 253_402_300_799L, OUT_OF_RANGE, "0001-01-01 to 9999-12-31"));
    n.put(
        "google.protobuf.Timestamp.nanos", new Range(0, 999_999_999, OUT_OF_RANGE, "nanoseconds"));
    NUMBERS = Collections.unmodifiableMap(n);

    Map<String, Integer> s = new LinkedHashMap<>();
    s.put("botfleet.v1.SubmitRunRequest.InputsEntry.key", 64);
    s.put("botfleet.v1.SubmitRunRequest.InputsEntry.value", 60_000);
    s.put("botfleet.v1.RunFinished.OutputsEntry.value", 60_000);
    s.put("botfleet.v1.RunFinished.log_tail", 200_000);
    s.put("botfleet.v1.RunFinished.message", 16_384);
    s.put("botfleet.v1.AssignAck.reason", 1024);
    // Issue 12 §1: PEM certificate signing requests (an EC key and a name are well under 1 KiB).
    s.put("botfleet.v1.EnrollRequest.csr", MachineCertificates.MAX_CSR_CHARS);
    s.put("botfleet.v1.RenewCertificate.csr", MachineCertificates.MAX_CSR_CHARS);
    for (String list : PAGED_LISTS) {
      s.put("botfleet.v1." + list + "Request.page_token", Paging.MAX_TOKEN_CHARS);
    }
    STRINGS = Collections.unmodifiableMap(s);

    Map<String, Integer> i = new LinkedHashMap<>();
    i.put("botfleet.v1.Hello.running_run_ids", (int) MAX_SESSIONS);
    i.put("botfleet.v1.CreateFlowRequest.connectors", 16);
    i.put("botfleet.v1.CreatePrincipalRequest.environments", 100);
    ITEMS = Collections.unmodifiableMap(i);
  }

  /**
   * Repeated message fields whose items the service answers one by one (issue 9: SubmitRuns): the
   * interceptor bounds only their count; the service checks each item with {@link #check} and
   * answers a broken bound as that item's own error, so one bad item does not refuse the others.
   */
  public static final java.util.Set<String> CHECKED_PER_ITEM =
      java.util.Set.of("botfleet.v1.SubmitRunsRequest.runs");

  /** A bound broken by a message: where, why, and the rule reason. */
  public record Violation(ErrorReason reason, String message) {
    public StatusRuntimeException status() {
      return GrpcErrors.build(reason, message);
    }
  }

  /** Every {@code idempotency_key} (one name across the API): the key columns' size. */
  public static final int MAX_IDEMPOTENCY_KEY_CHARS = 128;

  public static int maxChars(FieldDescriptor f) {
    return STRINGS.getOrDefault(
        f.getFullName(),
        f.getName().equals("idempotency_key") ? MAX_IDEMPOTENCY_KEY_CHARS : DEFAULT_MAX_CHARS);
  }

  public static int maxItems(FieldDescriptor f) {
    return ITEMS.getOrDefault(f.getFullName(), DEFAULT_MAX_ITEMS);
  }

  /** The first bound {@code message} breaks, or null. */
  public static Violation check(Message message) {
    return walk(message, "");
  }

  private static Violation walk(Message m, String prefix) {
    Descriptor d = m.getDescriptorForType();
    for (FieldDescriptor f : d.getFields()) {
      String path = prefix + f.getName();
      if (f.isRepeated()) {
        int count = m.getRepeatedFieldCount(f);
        if (count == 0) {
          continue;
        }
        if (count > maxItems(f)) {
          return new Violation(
              TOO_MANY, path + ": " + count + " items (expected: at most " + maxItems(f) + ")");
        }
        if (CHECKED_PER_ITEM.contains(f.getFullName())) {
          continue;
        }
        for (int i = 0; i < count; i++) {
          Violation v =
              value(
                  f, m.getRepeatedField(f, i), f.isMapField() ? path + "." : path + "[" + i + "]");
          if (v != null) {
            return v;
          }
        }
      } else {
        if (f.hasPresence() && !m.hasField(f)) {
          continue;
        }
        Violation v = value(f, m.getField(f), path);
        if (v != null) {
          return v;
        }
      }
    }
    return null;
  }

  private static Violation value(FieldDescriptor f, Object value, String path) {
    switch (f.getJavaType()) {
      case MESSAGE:
        if (isDuration(f)) {
          return duration(f, (com.google.protobuf.Duration) value, path);
        }
        // Map entries name their key and value: "inputs.key", "inputs.value".
        return walk((Message) value, f.isMapField() ? path : path + ".");
      case STRING:
        {
          int length = ((String) value).length();
          int max = maxChars(f);
          return length <= max
              ? null
              : new Violation(
                  TOO_LONG, path + ": " + length + " characters (expected: at most " + max + ")");
        }
      case BYTE_STRING:
        {
          int size = ((com.google.protobuf.ByteString) value).size();
          int max = maxChars(f);
          return size <= max
              ? null
              : new Violation(
                  TOO_LONG, path + ": " + size + " bytes (expected: at most " + max + ")");
        }
      case ENUM:
        {
          EnumValueDescriptor e = (EnumValueDescriptor) value;
          if (e.getIndex() >= 0 && f.getEnumType().findValueByNumber(e.getNumber()) != null) {
            return null;
          }
          return new Violation(
              UNKNOWN_ENUM,
              path
                  + ": unknown value "
                  + e.getNumber()
                  + " (expected: one of "
                  + enumNames(f)
                  + ")");
        }
      case INT:
      case LONG:
      case FLOAT:
      case DOUBLE:
        return number(f, value, path);
      default:
        return null; // BOOLEAN
    }
  }

  /** A google.protobuf.Duration field: bounded as a whole, in seconds, by its own entry. */
  public static boolean isDuration(FieldDescriptor f) {
    return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && f.getMessageType().getFullName().equals("google.protobuf.Duration");
  }

  private static Violation duration(
      FieldDescriptor f, com.google.protobuf.Duration d, String path) {
    Range r = NUMBERS.get(f.getFullName());
    if (r == null) {
      LOG.warn("request_field_unbounded", "field=" + f.getFullName());
      return null;
    }
    long s = d.getSeconds();
    int n = d.getNanos();
    // Duration's own invariants: |nanos| < 1s, and nanos carry the sign of seconds.
    boolean wellFormed =
        n > -1_000_000_000 && n < 1_000_000_000 && !(s > 0 && n < 0 || s < 0 && n > 0);
    boolean inRange =
        wellFormed
            && s >= r.min()
            && (s < r.max() || s == r.max() && n <= 0)
            && !(s == r.min() && n < 0);
    if (inRange) {
      return null;
    }
    return new Violation(
        r.reason(),
        path
            + ": "
            + (wellFormed
                ? s + (n == 0 ? "" : "." + String.format("%09d", Math.abs(n))) + "s"
                : "malformed duration")
            + " (expected: "
            + r.text()
            + " seconds)");
  }

  private static Violation number(FieldDescriptor f, Object value, String path) {
    Range r = NUMBERS.get(f.getFullName());
    if (r == null) {
      // RequestLimitsTest fails for such a field; at run time the service's own checks apply.
      LOG.warn("request_field_unbounded", "field=" + f.getFullName());
      return null;
    }
    boolean ok;
    String shown;
    if (value instanceof Double || value instanceof Float) {
      double v = ((Number) value).doubleValue();
      ok = r.contains(v);
      shown = Double.toString(v);
    } else {
      long v = ((Number) value).longValue();
      if (f.getType() == FieldDescriptor.Type.UINT32
          || f.getType() == FieldDescriptor.Type.FIXED32) {
        v = Integer.toUnsignedLong((int) v);
      }
      boolean unsignedHuge =
          (f.getType() == FieldDescriptor.Type.UINT64
                  || f.getType() == FieldDescriptor.Type.FIXED64)
              && v < 0;
      ok = !unsignedHuge && r.contains(v);
      shown = unsignedHuge ? Long.toUnsignedString(v) : Long.toString(v);
    }
    return ok
        ? null
        : new Violation(
            r.reason(), path + ": " + shown + " (expected: " + r.text() + ", " + r.meaning() + ")");
  }

  private static String enumNames(FieldDescriptor f) {
    List<String> names = new ArrayList<>();
    for (EnumValueDescriptor v : f.getEnumType().getValues()) {
      names.add(v.getName());
    }
    return String.join(", ", names);
  }

  // ------------------------------------------------------------------ interceptor

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    ServerCall.Listener<ReqT> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean refused;

      @Override
      public void onMessage(ReqT message) {
        if (refused) {
          return;
        }
        Violation v;
        if (message == null) {
          v =
              new Violation(
                  MALFORMED,
                  "request: not a valid "
                      + requestType(call)
                      + " message (malformed protobuf bytes)");
        } else if (message instanceof Message m) {
          v = check(m);
          if (v != null) {
            LOG.warn(
                "request_refused",
                "method="
                    + call.getMethodDescriptor().getFullMethodName()
                    + " reason="
                    + v.reason());
          }
        } else {
          v = null;
        }
        if (v == null) {
          super.onMessage(message);
          return;
        }
        refused = true;
        StatusRuntimeException sre = v.status();
        try {
          call.close(
              sre.getStatus(), sre.getTrailers() == null ? new Metadata() : sre.getTrailers());
        } catch (IllegalStateException alreadyClosed) {
          // The service closed the call first: nothing more to say.
        }
        // The service learns that the call is over (a stream handler cleans up its session).
        super.onCancel();
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (!refused) {
          super.onCancel();
        }
      }
    };
  }

  private static String requestType(ServerCall<?, ?> call) {
    Object schema = call.getMethodDescriptor().getSchemaDescriptor();
    if (schema instanceof io.grpc.protobuf.ProtoMethodDescriptorSupplier s) {
      return s.getMethodDescriptor().getInputType().getName();
    }
    return call.getMethodDescriptor().getBareMethodName() + " request";
  }

  // ------------------------------------------------------------------ malformed bytes

  /**
   * The same service whose request marshallers turn a parse failure into a null message, which
   * {@link RequestLimits} answers with {@code INVALID_ARGUMENT}. Schema descriptors are kept, so
   * server reflection still describes the service.
   */
  public static ServerServiceDefinition guard(ServerServiceDefinition definition) {
    ServiceDescriptor sd = definition.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder sdb =
        ServiceDescriptor.newBuilder(sd.getName()).setSchemaDescriptor(sd.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(m);
      methods.add(guarded);
      sdb.addMethod(guarded.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(sdb.build());
    for (ServerMethodDefinition<?, ?> m : methods) {
      b.addMethod(m);
    }
    return b.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> guard(
      ServerMethodDefinition<ReqT, RespT> m) {
    MethodDescriptor<ReqT, RespT> md = m.getMethodDescriptor();
    MethodDescriptor<ReqT, RespT> guarded =
        md.toBuilder(
                new LenientMarshaller<>(md.getRequestMarshaller(), md.getFullMethodName()),
                md.getResponseMarshaller())
            .build();
    return ServerMethodDefinition.create(guarded, m.getServerCallHandler());
  }

  /** Parses like {@code delegate}; malformed bytes become null (logged at most once a minute). */
  private static final class LenientMarshaller<T> implements MethodDescriptor.Marshaller<T> {
    private final MethodDescriptor.Marshaller<T> delegate;
    private final String method;

    LenientMarshaller(MethodDescriptor.Marshaller<T> delegate, String method) {
      this.delegate = delegate;
      this.method = method;
    }

    @Override
    public InputStream stream(T value) {
      return delegate.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        return delegate.parse(stream);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        String why = String.valueOf(cause.getMessage());
        LOG.warn(
            "request_malformed",
            "method=" + method + " error=" + (why.length() > 120 ? why.substring(0, 120) : why));
        return null;
      }
    }
  }
}
