package dev.cairn.oplog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.StoreFormatException;
import dev.cairn.json.Json;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * How operations and checkpoints are kept in a store's log, one JSON object per entry: {@code
 * {"k":"op","date","sha","writer","n","payload"}} and {@code
 * {"k":"cp","date","sha","state","covers":{writer: n}}}.
 */
final class Entries {
  private Entries() {}

  static byte[] encode(Operation op) {
    ObjectNode e = Json.MAPPER.createObjectNode().put("k", "op");
    e.put("date", op.date()).put("sha", op.sha()).put("writer", op.writer()).put("n", op.number());
    e.set("payload", op.payloadOrNull());
    return bytes(e);
  }

  static byte[] encode(Checkpoint cp) {
    ObjectNode e = Json.MAPPER.createObjectNode().put("k", "cp");
    e.put("date", cp.date()).put("sha", cp.sha());
    e.set("state", cp.state());
    ObjectNode covers = e.putObject("covers");
    cp.covers().forEach(covers::put);
    return bytes(e);
  }

  /** An operation or a checkpoint. */
  static Object decode(byte[] payload) {
    ObjectNode e = Json.readStored(payload, 0, payload.length);
    switch (e.path("k").asText()) {
      case "op" -> {
        return new Operation(
            e.get("date").asLong(),
            e.get("sha").asText(),
            e.get("writer").asText(),
            e.get("n").asLong(),
            e.get("payload"));
      }
      case "cp" -> {
        Map<String, Long> covers = new HashMap<>();
        e.get("covers")
            .fields()
            .forEachRemaining(f -> covers.put(f.getKey(), f.getValue().asLong()));
        return new Checkpoint(
            e.get("date").asLong(), e.get("sha").asText(), e.get("state"), covers);
      }
      default -> throw new StoreFormatException("an oplog entry of unknown kind: " + e.path("k"));
    }
  }

  private static byte[] bytes(JsonNode e) {
    try {
      return Json.MAPPER.writeValueAsBytes(e);
    } catch (JsonProcessingException ex) {
      throw new UncheckedIOException(ex);
    }
  }
}
