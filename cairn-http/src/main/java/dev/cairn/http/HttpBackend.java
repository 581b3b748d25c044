package dev.cairn.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.AccessDeniedException;
import dev.cairn.InvalidDocumentException;
import dev.cairn.InvalidLocationException;
import dev.cairn.StorageException;
import dev.cairn.Subscription;
import dev.cairn.UnavailableException;
import dev.cairn.engine.Threads;
import dev.cairn.json.Json;
import dev.cairn.spi.Backend;
import dev.cairn.spi.Locations;
import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * The store of a Cairn node, reached over HTTP: {@code cairn+http://token:SESSION@host:port} (or
 * {@code cairn+https}), with {@code ?table=URL} when the node's table is another node. The session
 * token goes to the table only: this backend asks it for a store token for this store, presents
 * that to the store, and asks again if the store refuses it. The node keeps the user's logs apart
 * from everyone else's. Appends are not made exactly-once across a lost connection (a retry may
 * append twice), which oplogs do not mind: operations are identified by their sha. Compaction runs
 * on the node, not through this backend.
 */
final class HttpBackend implements Backend {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final String location;
  private final String base;
  private final String sessionToken; // for the table only
  private final String table;
  private volatile String storeToken; // for this store only; drawn when first needed
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Thread> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  @Override
  public boolean exactlyOnceAppends() {
    return false; // a retry after a lost connection may append twice
  }

  HttpBackend(String location) {
    this.location = Locations.redact(location);
    URI uri;
    try {
      uri = URI.create(location);
    } catch (IllegalArgumentException e) {
      throw new InvalidLocationException("not a node location: " + this.location, e);
    }
    String info = uri.getRawUserInfo();
    if (info == null || !info.startsWith("token:") || uri.getHost() == null) {
      throw new InvalidLocationException(
          "a node location is cairn+http://token:TOKEN@host:port[?table=URL]; got "
              + this.location);
    }
    this.sessionToken = info.substring("token:".length());
    String scheme = uri.getScheme().substring("cairn+".length());
    this.base = scheme + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    this.table = table(uri.getRawQuery(), base, this.location);
  }

  /** The table's URL: the {@code table} parameter, else this node's own. */
  private static String table(String query, String base, String location) {
    if (query == null || query.isEmpty()) {
      return base;
    }
    if (!query.startsWith("table=") || query.indexOf('&') >= 0) {
      throw new InvalidLocationException(
          "a node location takes one parameter, table=URL; got " + location);
    }
    String table =
        java.net.URLDecoder.decode(query.substring("table=".length()), StandardCharsets.UTF_8);
    if (!table.matches("https?://[^/?#@]+/?")) {
      throw new InvalidLocationException(
          "table=" + table + " is not http(s)://host:port, in " + location);
    }
    return table.endsWith("/") ? table.substring(0, table.length() - 1) : table;
  }

  @Override
  public String location() {
    return location;
  }

  @Override
  public String storeId() {
    return get("/store/id").get("id").asText();
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq) {
    return entries(get("/store/logs?key=" + enc(key) + "&after=" + afterSeq), key);
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq, int limit) {
    return entries(
        get("/store/logs?key=" + enc(key) + "&after=" + afterSeq + "&limit=" + limit), key);
  }

  @Override
  public long head(String key) {
    return get("/store/head?key=" + enc(key)).get("head").asLong();
  }

  @Override
  public long append(String key, long expectedHead, List<byte[]> payloads) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    var list = body.putArray("payloads");
    payloads.forEach(p -> list.add(Base64.getEncoder().encodeToString(p)));
    String json = Json.write(body);
    return send(() ->
            request("/store/logs?key=" + enc(key) + "&expected=" + expectedHead)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build())
        .get("last")
        .asLong();
  }

  @Override
  public List<String> keys() {
    List<String> keys = new ArrayList<>();
    get("/store/keys").forEach(k -> keys.add(k.asText()));
    return keys;
  }

  @Override
  public long lastSequence() {
    return get("/store/last").get("last").asLong();
  }

  @Override
  public List<LogEntry> changes(long since, int limit) {
    return entries(get("/store/changes?since=" + since + "&limit=" + limit), null);
  }

  @Override
  public long epoch() {
    return get("/store/epoch").get("epoch").asLong();
  }

  @Override
  public Subscription watch(Runnable onAppend) {
    return watch(onAppend, dev.cairn.spi.FeedStatus.NONE);
  }

  @Override
  public Subscription watch(Runnable onAppend, dev.cairn.spi.FeedStatus status) {
    Thread t = Threads.daemon("cairn-node-stream " + location, () -> follow(onAppend, status));
    watchers.add(t);
    t.start();
    return () -> {
      watchers.remove(t);
      t.interrupt();
    };
  }

  /** Follows the node's stream of appends, reconnecting after a failure. */
  private void follow(Runnable onAppend, dev.cairn.spi.FeedStatus status) {
    long backoff = 100;
    boolean lost = false;
    while (!closed && watchers.contains(Thread.currentThread())) {
      try {
        HttpResponse<Stream<String>> r =
            http.send(
                request("/store/stream").header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() == 401) {
          storeToken = null; // ask the table again on the next try
        }
        if (r.statusCode() == 200) {
          backoff = 100;
          if (lost) {
            lost = false;
            status.restored();
          }
          onAppend.run(); // what came while not following
          try (Stream<String> lines = r.body()) {
            lines
                .takeWhile(l -> !closed && !Thread.currentThread().isInterrupted())
                .filter(l -> l.equals("event: append"))
                .forEach(l -> onAppend.run());
          }
        }
        if (!lost && !closed) {
          lost = true;
          status.lost(
              new UnavailableException(
                  "lost the stream of the node at "
                      + location
                      + (r.statusCode() == 200
                          ? ": the stream ended"
                          : ": it answered " + r.statusCode())));
        }
      } catch (IOException | RuntimeException e) {
        if (!lost && !closed) { // the node went away: try again shortly
          lost = true;
          status.lost(
              new UnavailableException(
                  "lost the stream of the node at " + location + ": " + e.getMessage(), e));
        }
      } catch (InterruptedException e) {
        return;
      }
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        return;
      }
      backoff = Math.min(5000, backoff * 2);
    }
  }

  @Override
  public long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    throw new UnsupportedOperationException(
        "a node's store is compacted on the node, not through " + location);
  }

  @Override
  public void close() {
    closed = true;
    watchers.forEach(Thread::interrupt);
    watchers.clear();
  }

  // ---- HTTP ----

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(TIMEOUT)
        .header("Authorization", "Bearer " + storeToken());
  }

  /** This store's token, from the table with the session token the first time. */
  private String storeToken() {
    String token = storeToken;
    if (token == null) {
      HttpRequest ask =
          HttpRequest.newBuilder(URI.create(table + "/sessions/store-token"))
              .timeout(TIMEOUT)
              .header("Authorization", "Bearer " + sessionToken)
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      Json.write(Json.MAPPER.createObjectNode().put("store", base))))
              .build();
      String who = "the table at " + table + ", asked for the node at " + location + ",";
      token = answer(exchange(ask, who), who).get("token").asText();
      storeToken = token;
    }
    return token;
  }

  private JsonNode get(String path) {
    return send(() -> request(path).GET().build());
  }

  /**
   * Sends a request to the store; if the store refuses the store token, asks the table for a new
   * one once and sends it again (a refused request changed nothing).
   */
  private JsonNode send(java.util.function.Supplier<HttpRequest> request) {
    HttpResponse<String> r = exchange(request.get(), "the node at " + location);
    if (r.statusCode() == 401) {
      storeToken = null;
      r = exchange(request.get(), "the node at " + location);
    }
    return answer(r, "the node at " + location);
  }

  private HttpResponse<String> exchange(HttpRequest request, String who) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UnavailableException("%s did not answer: %s".formatted(who, describe(e)), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while waiting for " + who, e);
    }
  }

  /** The body of a 200 or 201, or the typed error its status means. */
  private static JsonNode answer(HttpResponse<String> r, String who) {
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      body = Json.MAPPER.createObjectNode(); // not JSON: a proxy's page, say; the status tells
    }
    int status = r.statusCode();
    String error = body.path("error").asText("");
    return switch (status) {
      case 200, 201 -> body;
      case 401, 403 -> throw new AccessDeniedException(who + " refused the token (" + status + ")");
      case 400, 413 -> throw new InvalidDocumentException(who + " refused the request: " + error);
      case 429, 502, 503, 504 ->
          throw new UnavailableException(
              "%s answered %d%s; try again later"
                  .formatted(who, status, error.isEmpty() ? "" : ": " + error));
      default ->
          throw new StorageException(
              "%s answered %d%s".formatted(who, status, error.isEmpty() ? "" : ": " + error), null);
    };
  }

  /** What went wrong on the way, without the HTTP client's class names. */
  private static String describe(IOException e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "no answer within " + TIMEOUT.toSeconds() + " s";
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? "the connection failed" : message;
  }

  private static List<LogEntry> entries(JsonNode body, String key) {
    List<LogEntry> out = new ArrayList<>();
    for (JsonNode e : body.get("entries")) {
      out.add(
          new LogEntry(
              key != null ? key : e.get("key").asText(),
              e.get("seq").asLong(),
              Base64.getDecoder().decode(e.get("payload").asText())));
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
