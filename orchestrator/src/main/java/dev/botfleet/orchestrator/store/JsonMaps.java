package dev.botfleet.orchestrator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** String maps (run inputs and outputs) as JSON objects in a text column. */
final class JsonMaps {
  private JsonMaps() {}

  static String write(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return "{}";
    }
    Struct.Builder b = Struct.newBuilder();
    new TreeMap<>(map)
        .forEach((k, v) -> b.putFields(k, Value.newBuilder().setStringValue(v).build()));
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> read(String json) {
    if (json == null || json.isBlank() || json.equals("{}")) {
      return Map.of();
    }
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored JSON is not an object: " + e.getMessage(), e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    b.getFieldsMap()
        .forEach(
            (k, v) ->
                out.put(
                    k,
                    v.getKindCase() == Value.KindCase.STRING_VALUE
                        ? v.getStringValue()
                        : v.toString()));
    return out;
  }
}
