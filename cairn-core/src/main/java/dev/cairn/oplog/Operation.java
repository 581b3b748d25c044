package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.json.Json;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;

/**
 * One operation of an oplog: what a writer pushed, when, and its identity.
 *
 * <p>Operations are ordered by {@code date}, then {@code sha}: a total order, the same on every
 * replica. The sha is taken over everything that makes the operation, its writer and number
 * included, so two equal payloads pushed in the same millisecond are two operations. A writer (one
 * client, for as long as it runs) numbers its operations 1, 2, 3, ...; that numbering is what lets
 * a {@link Checkpoint} name the operations it folds in without listing them.
 *
 * @param date milliseconds since the epoch, on the writer's clock (clocks may be wrong: the date
 *     orders operations, it decides nothing else)
 * @param sha 32 hex digits of SHA-256 over the operation
 * @param writer the writer's id
 * @param number the writer's count of operations on this log, from 1
 * @param payload the writer's data, interpreted by the log's reducer (null is a value too)
 */
public record Operation(long date, String sha, String writer, long number, JsonNode payload) {

  /** The order every replica applies operations in. */
  public static final Comparator<Operation> ORDER =
      Comparator.comparingLong(Operation::date).thenComparing(Operation::sha);

  /** Makes an operation with its sha. */
  public static Operation create(
      String writer, long number, long date, String type, String path, JsonNode payload) {
    ObjectNode content = Json.MAPPER.createObjectNode();
    content.put("writer", writer).put("number", number).put("date", date);
    content.put("type", type).put("path", path);
    content.set("payload", payload == null ? Json.MAPPER.nullNode() : payload);
    return new Operation(date, sha(Json.canonical(content)), writer, number, payload);
  }

  static String sha(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The payload, never Java null (a JSON null instead). */
  public JsonNode payloadOrNull() {
    return payload == null ? Json.MAPPER.nullNode() : payload;
  }

  @Override
  public String toString() {
    return "Operation[" + writer + ":" + number + " " + date + " " + sha + "]";
  }
}
