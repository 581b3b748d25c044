package dev.cairn.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidDocumentException;
import dev.cairn.NotFoundException;
import dev.cairn.Revision;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The console's server: the HTTP API a browser page uses to look at one store, on a local address,
 * every request carrying the token this start drew ({@code Authorization: Bearer TOKEN}). Writes go
 * through the store's own operations and are as strict about {@code _rev} as the API is.
 *
 * <p>It serves documents: the ids (searched and paged), a document with its history and conflicts,
 * an earlier revision, resolving conflicts by keeping one revision, and the live change feed
 * (server-sent events; the token then comes as {@code ?token=}, since a browser's {@code
 * EventSource} sends no headers). The page itself ({@code /}) is plain HTML, CSS and JavaScript
 * from the jar, and reads the token from the URL's fragment, which browsers never send.
 */
public final class Console implements AutoCloseable {
  /** The most ids one page holds. */
  public static final int MAX_PAGE = 500;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final DocumentStore store;
  private final byte[] token;
  private final String tokenText;
  private final Javalin app;

  /**
   * Serves {@code store} on {@code host}:{@code port} (0: a free port) with a fresh random token.
   * The store stays the caller's: closing the console does not close it.
   */
  public Console(DocumentStore store, String host, int port) {
    if (store == null || host == null || host.isBlank() || port < 0 || port > 65_535) {
      throw new IllegalArgumentException("a console needs a store, a host and a port 0-65535");
    }
    this.store = store;
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    this.tokenText = HexFormat.of().formatHex(random);
    this.token = tokenText.getBytes(StandardCharsets.US_ASCII);
    this.app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.routes.before("/api/*", this::authenticate);
              c.routes.get("/", ctx -> asset(ctx, "index.html", "text/html"));
              c.routes.get("/app.js", ctx -> asset(ctx, "app.js", "text/javascript"));
              c.routes.get("/style.css", ctx -> asset(ctx, "style.css", "text/css"));
              c.routes.sse("/api/changes", this::changes);
              c.routes.exception(Refused.class, (e, ctx) -> error(ctx, 401, "unauthorized"));
              c.routes.exception(
                  NotFoundException.class, (e, ctx) -> error(ctx, 404, e.getMessage()));
              c.routes.exception(
                  ConflictException.class, (e, ctx) -> error(ctx, 409, e.getMessage()));
              c.routes.exception(
                  InvalidDocumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
              c.routes.exception(
                  IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
              c.routes.exception(
                  io.javalin.router.EndpointNotFound.class,
                  (e, ctx) ->
                      error(ctx, 404, "no route " + ctx.method().name() + " " + ctx.path()));
              c.routes.get("/api/store", this::storeInfo);
              c.routes.get("/api/docs", this::ids);
              c.routes.get("/api/docs/{id}", this::document);
              c.routes.get("/api/docs/{id}/revs/{rev}", this::revision);
              c.routes.post("/api/docs/{id}/resolve", this::resolve);
            });
    app.start(host, port);
  }

  /** The token every request must carry. */
  public String token() {
    return tokenText;
  }

  public int port() {
    return app.port();
  }

  private static final class Refused extends RuntimeException {
    Refused() {
      super("unauthorized", null, false, false);
    }
  }

  private void authenticate(Context ctx) {
    String header = ctx.header("Authorization");
    String query = ctx.path().equals("/api/changes") ? ctx.queryParam("token") : null;
    byte[] given =
        header != null && header.startsWith("Bearer ")
            ? header.substring(7).trim().getBytes(StandardCharsets.US_ASCII)
            : query != null ? query.getBytes(StandardCharsets.US_ASCII) : new byte[0];
    if (!MessageDigest.isEqual(token, given)) {
      throw new Refused();
    }
  }

  private void storeInfo(Context ctx) {
    ObjectNode out = JSON.createObjectNode();
    out.put("location", store.location());
    out.put("lastSequence", store.lastSequence());
    out.put("documents", store.ids().size());
    ctx.json(out);
  }

  /** The ids containing {@code q} (all without it), sorted, from {@code offset}, {@code limit}. */
  private void ids(Context ctx) {
    String q = ctx.queryParam("q");
    int offset = intParam(ctx, "offset", 0, Integer.MAX_VALUE);
    int limit = intParam(ctx, "limit", 100, MAX_PAGE);
    List<String> matching =
        store.ids().stream().filter(id -> q == null || q.isEmpty() || id.contains(q)).toList();
    ObjectNode out = JSON.createObjectNode();
    out.put("total", matching.size());
    ArrayNode ids = out.putArray("ids");
    matching.stream().skip(offset).limit(limit).forEach(ids::add);
    ctx.json(out);
  }

  /** A document at its winning revision, its history (newest first) and its conflicts. */
  private void document(Context ctx) {
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

  private void revision(Context ctx) {
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
  private void resolve(Context ctx) throws java.io.IOException {
    JsonNode body = JSON.readTree(ctx.body());
    JsonNode keep = body == null ? null : body.get("keep");
    if (keep == null || !keep.isTextual()) {
      throw new IllegalArgumentException("the body is {\"keep\": REV}");
    }
    ctx.json(Map.of("rev", store.resolve(ctx.pathParam("id"), keep.asText())));
  }

  /** The page's files, from the jar; they hold no secret, so they need no token. */
  private static void asset(Context ctx, String name, String type) throws java.io.IOException {
    try (java.io.InputStream in = Console.class.getResourceAsStream("web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks dev/cairn/console/web/" + name);
      }
      ctx.contentType(type + "; charset=utf-8").result(in.readAllBytes());
    }
  }

  /** Every change from now on, as {@code change} events: {seq, id, rev, deleted}. */
  private void changes(io.javalin.http.sse.SseClient client) {
    client.keepAlive();
    dev.cairn.Subscription s =
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

  private static int intParam(Context ctx, String name, int fallback, int max) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < 0 || n > max) {
        throw new IllegalArgumentException(name + " is 0 to " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number");
    }
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).json(Map.of("error", message));
  }

  @Override
  public void close() {
    app.stop();
  }
}
