package dev.cairn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.json.Json;

/**
 * Builds an update document of MongoDB update operators, for {@link SharedObject#patch(Update)} and
 * {@link DocumentStore#patch(String, Update)}: {@code Update.of().inc("visits", 1).push("log",
 * entry)}. Values are converted to JSON like documents are (records, POJOs, Maps, lists, numbers,
 * strings, nodes).
 */
public final class Update {
  private final ObjectNode doc = Json.MAPPER.createObjectNode();

  private Update() {}

  public static Update of() {
    return new Update();
  }

  public Update set(String path, Object value) {
    return put("$set", path, value);
  }

  /** Sets {@code path} only when the update creates the document ({@code patchOrCreate}). */
  public Update setOnInsert(String path, Object value) {
    return put("$setOnInsert", path, value);
  }

  public Update unset(String path) {
    return put("$unset", path, "");
  }

  public Update inc(String path, Number by) {
    return put("$inc", path, by);
  }

  public Update mul(String path, Number by) {
    return put("$mul", path, by);
  }

  public Update min(String path, Object value) {
    return put("$min", path, value);
  }

  public Update max(String path, Object value) {
    return put("$max", path, value);
  }

  public Update rename(String path, String newPath) {
    return put("$rename", path, newPath);
  }

  /** Sets the path to the time of the patch, as an ISO-8601 UTC string. */
  public Update currentDate(String path) {
    return put("$currentDate", path, true);
  }

  public Update push(String path, Object value) {
    return put("$push", path, value);
  }

  public Update addToSet(String path, Object value) {
    return put("$addToSet", path, value);
  }

  /** Removes the first element of the array at the path ({@code first}) or the last. */
  public Update pop(String path, boolean first) {
    return put("$pop", path, first ? -1 : 1);
  }

  /** Removes the elements equal to {@code condition}, or matching it if it is a query. */
  public Update pull(String path, Object condition) {
    return put("$pull", path, condition);
  }

  /** The update document built so far (a copy). */
  public ObjectNode toJson() {
    return doc.deepCopy();
  }

  @Override
  public String toString() {
    return Json.write(doc);
  }

  private Update put(String operator, String path, Object value) {
    if (path == null) {
      throw new InvalidUpdateException(operator + " needs a path");
    }
    JsonNode node;
    try {
      node = Json.MAPPER.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidUpdateException(
          operator + " '" + path + "': the value cannot be converted to JSON: " + Json.describe(e),
          e);
    }
    doc.withObject("/" + operator).set(path, node == null ? Json.MAPPER.nullNode() : node);
    return this;
  }
}
