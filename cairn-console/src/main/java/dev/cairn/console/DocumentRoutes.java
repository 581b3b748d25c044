package dev.cairn.console;

import static dev.cairn.console.Api.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidDocumentException;
import dev.cairn.NotFoundException;
import dev.cairn.Revision;
import dev.cairn.Subscription;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.util.List;
import java.util.Map;

/** Documents: ids, a document with its history and conflicts, resolving, the change feed. */
final class DocumentRoutes {
  /** The most ids one page holds. */
  static final int MAX_PAGE = 500;

  private final DocumentStore store;

  DocumentRoutes(DocumentStore store) {
    this.store = store;
  }

  /** The ids containing {@code q} (all without it), sorted, from {@code offset}, {@code limit}. */
  void ids(Context ctx) {
    String q = ctx.queryParam("q");
    int offset = Api.intParam(ctx, "offset", 0, Integer.MAX_VALUE);
    int limit = Api.intParam(ctx, "limit", 100, MAX_PAGE);
    List<String> matching =
        store.ids().stream().filter(id -> q == null || q.isEmpty() || id.contains(q)).toList();
    ObjectNode out = JSON.createObjectNode();
    out.put("total", matching.size());
    ArrayNode ids = out.putArray("ids");
    matching.stream().skip(offset).limit(limit).forEach(ids::add);
    ctx.json(out);
  }

  /** A document at its winning revision, its history (newest first) and its conflicts. */
  void document(Context ctx) {
    String id = ctx.pathParam("id");
    List<Revision> history = store.history(id); // NotFoundException for an id never written
    ObjectNode doc = store.get(id).orElse(null);
    ObjectNode out = JSON.createObjectNode();
    out.set("doc", doc);
    out.put("deleted", doc == null);
    ArrayNode revs = out.putArray("history");
    for (Revision r : history) {
      revs.addObject().put("rev", r.rev()).put("deleted", r.deleted()).put("leaf", r.leaf());
    }
    ArrayNode conflicts = out.putArray("conflicts");
    store.conflicts(id).forEach(conflicts::add);
    ctx.json(out);
  }

  void revision(Context ctx) {
    String id = ctx.pathParam("id");
    String rev = ctx.pathParam("rev");
    ObjectNode doc =
        store
            .get(id, rev)
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "document '" + id + "' has no revision " + rev + " here (pruned?)"));
    ctx.json(doc);
  }

  /** Settles a document's conflicts by keeping {@code {"keep": rev}}: a winner or a conflict. */
  void resolve(Context ctx) {
    JsonNode keep = Api.objectBody(ctx, "{\"keep\": REV}").get("keep");
    if (keep == null || !keep.isTextual()) {
      throw new IllegalArgumentException("the body is {\"keep\": REV}");
    }
    ctx.json(Map.of("rev", store.resolve(ctx.pathParam("id"), keep.asText())));
  }

  /**
   * Settles a document's conflicts with a merged version: the body is the document, its {@code
   * _rev} the live leaf it extends; every other live leaf is deleted.
   */
  void merge(Context ctx) {
    ObjectNode merged =
        (ObjectNode) Api.objectBody(ctx, "the merged document, with the _rev it extends");
    String id = ctx.pathParam("id");
    JsonNode given = merged.get("_id");
    if (given != null && !id.equals(given.asText())) {
      throw new InvalidDocumentException(
          "the merged document's _id is '" + given.asText() + "', not '" + id + "'");
    }
    merged.put("_id", id);
    ctx.json(Map.of("rev", store.resolve(merged)));
  }

  /** Every change from now on, as {@code change} events: {seq, id, rev, deleted}. */
  void changes(SseClient client) {
    client.keepAlive();
    Subscription s =
        store.listen(
            c -> {
              ObjectNode event = JSON.createObjectNode();
              event.put("seq", c.seq()).put("id", c.id()).put("rev", c.rev());
              event.put("deleted", c.deleted());
              client.sendEvent("change", event.toString());
            });
    client.onClose(s::close);
    client.sendEvent("ready", "");
  }
}
