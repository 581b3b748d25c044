package dev.cairn.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.AccessDeniedException;
import dev.cairn.Cairn;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.InvalidDocumentException;
import dev.cairn.engine.Backends;
import dev.cairn.engine.Threads;
import dev.cairn.json.Json;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.LogEntry;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A Cairn node: the table (users, sessions, mount tables) and a store of oplogs, over HTTP.
 *
 * <p>Every request but opening a session carries {@code Authorization: Bearer TOKEN}, and the token
 * is checked before anything else is touched. A store node started with a table URL asks that table
 * about every token, so a revoked session is refused by every store at once. A user's logs live
 * under a prefix of their own that the node adds to every key, so no key a client sends can reach
 * another user's data. Secrets and tokens are never logged.
 *
 * <p>This class is the routes, each a few lines beside the checks they share; users, sessions and
 * mounts are {@link NodeTable}, login limits {@link LoginGuard}.
 */
public final class Node implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Node.class.getName());

  private static final int MAX_KEY_LENGTH = 500;
  private static final int MAX_BATCH = 10_000;

  /** The largest request body. */
  static final int MAX_BODY_BYTES = 16 << 20;

  /** A refused body up to this size is read and discarded, so that its client reads the answer. */
  static final long MAX_DRAIN_BYTES = 64L << 20;

  /**
   * The bytes of request bodies the node holds at once, all requests together: a request that would
   * go over waits a little, then gets 503. A body takes several times its size in memory while it
   * is read and parsed, so this is an eighth of the heap.
   */
  private static final int BODY_BUDGET =
      (int)
          Math.min(
              Integer.MAX_VALUE, Math.max(MAX_BODY_BYTES, Runtime.getRuntime().maxMemory() / 8));

  /**
   * How a node is set up.
   *
   * @param tableUrl the node whose table checks tokens; null for this node's own
   * @param adminToken what {@code POST /users} must present; null to create no users
   * @param tlsKeystore a PKCS12 key store with the node's key and certificate, to serve HTTPS only;
   *     null for HTTP
   * @param publicUrl the URL clients reach this node's store at ({@code https://host:port}), which
   *     the store tokens it accepts must name; null for {@code http(s)://HOST:PORT} as it listens
   */
  public record Config(
      Path data,
      String host,
      int port,
      String tableUrl,
      String adminToken,
      int hashIterations,
      Path tlsKeystore,
      char[] tlsPassword,
      Duration sessionSweep,
      String publicUrl) {
    @Override
    public String toString() {
      return "Config[data="
          + data
          + ", host="
          + host
          + ", port="
          + port
          + ", tls="
          + (tlsKeystore != null)
          + "]";
    }

    /**
     * A configuration with the secrets taken from the environment: {@code CAIRN_ADMIN_TOKEN},
     * {@code CAIRN_TLS_PASSWORD}, and {@code CAIRN_HASH_ITERATIONS} (for tests and small machines;
     * {@link NodeTable#DEFAULT_ITERATIONS} otherwise); the public URL, unless given, from {@code
     * CAIRN_PUBLIC_URL}.
     */
    public static Config fromEnvironment(
        Path data, String host, int port, String tableUrl, Path tlsKeystore, String publicUrl) {
      String iterations = System.getenv("CAIRN_HASH_ITERATIONS");
      String sweep = System.getenv("CAIRN_SESSION_SWEEP_SECONDS");
      return new Config(
          data,
          host,
          port,
          tableUrl,
          System.getenv("CAIRN_ADMIN_TOKEN"),
          iterations == null || iterations.isBlank()
              ? NodeTable.DEFAULT_ITERATIONS
              : Integer.parseInt(iterations.trim()),
          tlsKeystore,
          System.getenv().getOrDefault("CAIRN_TLS_PASSWORD", "").toCharArray(),
          sweep == null || sweep.isBlank()
              ? Duration.ofMinutes(10)
              : Duration.ofSeconds(Long.parseLong(sweep.trim())),
          publicUrl != null ? publicUrl : System.getenv("CAIRN_PUBLIC_URL"));
    }
  }

  private final DocumentStore tableStore;
  private final Backend sessionStore;
  private final NodeTable table;
  private final LoginGuard guard =
      new LoginGuard(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), System::nanoTime);
  private final java.util.concurrent.Semaphore bodies =
      new java.util.concurrent.Semaphore(BODY_BUDGET, true);
  private final java.util.concurrent.ScheduledExecutorService sweeper =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> Threads.daemon("cairn-node-sweep", r));
  private final Backend logs;
  private final String tableUrl;
  private final String audience; // this store as the store tokens it accepts name it
  private final byte[] adminToken;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Stream> streams = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.ExecutorService streamer = Threads.serial("cairn-node-stream");

  /**
   * An open stream of one user's appends, how far it has been sent, and the token it was opened
   * with, checked again before every send: a revoked or expired session, or a removed user, gets no
   * more.
   */
  private static final class Stream {
    final SseClient client;
    final String token;
    final String user;
    final String prefix;
    long sent;

    Stream(SseClient client, String token, String user, long sent) {
      this.client = client;
      this.token = token;
      this.user = user;
      this.prefix = prefix(user);
      this.sent = sent;
    }
  }

  private final dev.cairn.Subscription watch;
  private final NodeMetrics metrics;
  private volatile boolean closing;
  private final Javalin app;

  public Node(Config config) {
    this.tableStore = Cairn.open(config.data().resolve("table"));
    this.sessionStore =
        Backends.open(
            config.data().resolve("sessions").toString(), new BackendOptions(Durability.SYNC));
    this.table =
        new NodeTable(tableStore, sessionStore, Clock.systemUTC(), config.hashIterations());
    this.logs =
        Backends.open(
            config.data().resolve("logs").toString(), new BackendOptions(Durability.SYNC));
    this.tableUrl = config.tableUrl();
    this.adminToken =
        config.adminToken() == null || config.adminToken().isEmpty()
            ? null
            : config.adminToken().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.watch = logs.watch(() -> streamer.execute(this::tellStreams));
    this.metrics = new NodeMetrics(streams::size, this::sessionsHeld);
    this.app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.http.maxRequestSize = MAX_BODY_BYTES;
              if (config.tlsKeystore() != null) {
                c.jetty.addConnector(
                    (server, httpConfig) -> {
                      SslContextFactory.Server tls = new SslContextFactory.Server();
                      tls.setKeyStorePath(config.tlsKeystore().toString());
                      tls.setKeyStorePassword(new String(config.tlsPassword()));
                      tls.setKeyStoreType("PKCS12");
                      httpConfig.addCustomizer(new SecureRequestCustomizer(false));
                      ServerConnector https =
                          new ServerConnector(server, tls, new HttpConnectionFactory(httpConfig));
                      https.setHost(config.host());
                      https.setPort(config.port());
                      return https;
                    });
              }
              routes(c.routes, config.tlsKeystore() != null);
            });
    app.start(config.host(), config.port());
    boolean wildcard = config.host().equals("0.0.0.0") || config.host().contains("::");
    if (wildcard && (config.publicUrl() == null || config.publicUrl().isBlank())) {
      LOG.log(
          System.Logger.Level.WARNING,
          "listening on every interface with no public URL: this node's store accepts only store"
              + " tokens issued for http(s)://"
              + config.host()
              + ", which no client reaches; set --public-url or CAIRN_PUBLIC_URL");
    }
    this.audience =
        NodeTable.audience(
            config.publicUrl() != null && !config.publicUrl().isBlank()
                ? config.publicUrl()
                : (config.tlsKeystore() != null ? "https" : "http")
                    + "://"
                    + (config.host().contains(":") ? "[" + config.host() + "]" : config.host())
                    + ":"
                    + app.port());
    long sweep = config.sessionSweep().toMillis();
    sweeper.scheduleWithFixedDelay(
        this::sweep, sweep, sweep, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void sweep() {
    try {
      table.sweep();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "sweeping expired sessions failed", e);
    }
  }

  /** The port the node listens on. */
  public int port() {
    return app.port();
  }

  private void routes(io.javalin.config.RoutesConfig http, boolean tls) {
    http.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
    http.after(this::measure);
    if (tls) {
      http.before(ctx -> ctx.header("Strict-Transport-Security", "max-age=31536000"));
    }
    http.before(this::admitBody);
    http.after(this::releaseBody);
    http.exception(
        LoginGuard.Busy.class,
        (e, ctx) -> {
          ctx.header("Retry-After", "1");
          error(ctx, 503, e.getMessage());
        });
    http.exception(
        dev.cairn.UnavailableException.class,
        (e, ctx) -> {
          ctx.header("Retry-After", "1");
          error(ctx, 503, "unavailable: " + e.getMessage());
        });
    http.exception(
        io.javalin.http.HttpResponseException.class,
        (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
    http.exception(AccessDeniedException.class, (e, ctx) -> refuse(ctx));
    http.exception(InvalidDocumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
    http.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
    http.exception(ConflictException.class, (e, ctx) -> error(ctx, 409, e.getMessage()));
    http.exception(dev.cairn.NotFoundException.class, (e, ctx) -> error(ctx, 404, e.getMessage()));
    http.exception(
        io.javalin.router.EndpointNotFound.class,
        (e, ctx) -> error(ctx, 404, "no route " + ctx.method().name() + " " + ctx.path()));

    // open to all, token or not: what probes, scrapers and client generators ask
    http.get("/health", ctx -> health(ctx, true));
    http.get("/health/live", ctx -> health(ctx, false));
    http.get("/health/ready", ctx -> health(ctx, true));
    http.get(
        "/metrics",
        ctx ->
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    String openApi = openApi();
    http.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));

    // the token first, before anything is touched
    http.before("/store/*", ctx -> ctx.attribute("user", authenticateStore(token(ctx))));
    http.before("/mounts*", ctx -> ctx.attribute("user", authenticate(ctx)));

    // the table
    http.post("/users", this::createUser);
    http.get("/users", ctx -> ctx.json(Map.of("users", admin(ctx).users())));
    http.delete(
        "/users/{user}",
        ctx -> {
          admin(ctx).removeUser(ctx.pathParam("user"));
          ctx.status(204);
        });
    http.post("/sessions", this::login);
    http.delete("/sessions", this::revoke);
    http.get("/sessions/check", ctx -> ctx.json(Map.of("user", table.authenticate(token(ctx)))));
    http.post("/sessions/store-token", this::storeToken);
    http.get(
        "/sessions/check-store",
        ctx ->
            ctx.json(
                Map.of(
                    "user",
                    table.authenticateStore(
                        token(ctx), Objects.requireNonNullElse(ctx.queryParam("store"), "")))));
    http.get("/mounts", ctx -> ctx.json(table.mounts(user(ctx))));
    http.put("/mounts/{channel}", this::mount);

    // the store
    http.get("/store/id", ctx -> ctx.json(Map.of("id", logs.storeId())));
    http.get("/store/logs", this::read);
    http.post("/store/logs", this::append);
    http.get("/store/head", ctx -> ctx.json(Map.of("head", logs.head(key(ctx)))));
    http.get("/store/keys", this::keys);
    // a number, not data: it says nothing of what others wrote
    http.get("/store/last", ctx -> ctx.json(Map.of("last", logs.lastSequence())));
    http.get("/store/changes", this::changes);
    http.get("/store/epoch", ctx -> ctx.json(Map.of("epoch", logs.epoch())));
    http.sse(
        "/store/stream",
        client -> {
          Context ctx = client.ctx();
          Stream stream =
              new Stream(
                  client, token(ctx), user(ctx), longParam(ctx, "since", logs.lastSequence()));
          client.keepAlive();
          client.onClose(() -> streams.remove(stream));
          streams.add(stream);
          client.sendEvent("ready", "");
          streamer.execute(this::tellStreams); // what came since "since"
        });
  }

  // ---- the table ----

  /** The table, if the request carries the admin token. */
  private NodeTable admin(Context ctx) {
    if (adminToken == null
        || !MessageDigest.isEqual(
            adminToken, token(ctx).getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
      throw new AccessDeniedException("not the admin token");
    }
    return table;
  }

  private void createUser(Context ctx) {
    admin(ctx);
    JsonNode body = body(ctx);
    table.createUser(text(body, "user"), text(body, "secret").toCharArray());
    ctx.status(201).json(Map.of("user", text(body, "user")));
  }

  private void login(Context ctx) {
    JsonNode body = body(ctx);
    long ttl = body.path("ttlSeconds").asLong(3600);
    if (ttl < 1 || ttl > 30L * 24 * 3600) {
      throw new IllegalArgumentException("ttlSeconds is between 1 and 2592000");
    }
    String user = text(body, "user");
    long wait = guard.admit(ctx.ip(), user);
    if (wait > 0) {
      metrics.login("limited");
      ctx.header("Retry-After", Long.toString(wait));
      error(ctx, 429, "too many login attempts; try again in " + wait + " s");
      return;
    }
    char[] secret = text(body, "secret").toCharArray();
    NodeTable.Session s;
    try {
      s = guard.hashing(() -> table.login(user, secret, Duration.ofSeconds(ttl)));
    } catch (AccessDeniedException e) {
      metrics.login("refused");
      throw e;
    } catch (LoginGuard.Busy e) {
      metrics.login("busy");
      throw e;
    }
    metrics.login("opened");
    guard.succeeded(ctx.ip(), user);
    ctx.status(201).json(Map.of("token", s.token(), "expires", s.expires().toString()));
  }

  /** Issues the session's token for the store {@code {"store": URL}}. */
  private void storeToken(Context ctx) {
    String session = token(ctx);
    table.authenticate(session); // the token first, before the body is read
    NodeTable.StoreToken t = table.storeToken(session, text(body(ctx), "store"));
    ctx.status(201).json(Map.of("token", t.token(), "expires", t.expires().toString()));
  }

  /**
   * Revokes the session of the request's token. A store node refuses without reading the token: a
   * session token is for its table alone, and a store that saw it could act as its user.
   */
  private void revoke(Context ctx) {
    if (tableUrl != null) {
      throw new IllegalArgumentException("a session is revoked at its table, " + tableUrl);
    }
    table.revoke(token(ctx));
  }

  /**
   * Holds a request's body against the node's budget before it is read: a body of unknown length is
   * refused (411), one over the largest gets 413, and one that does not fit while others are in
   * flight gets 503 after a short wait, so many large bodies at once never exhaust the heap.
   */
  private void admitBody(Context ctx) throws InterruptedException {
    String method = ctx.method().name();
    if (!method.equals("POST") && !method.equals("PUT")) {
      return;
    }
    long length = ctx.contentLength();
    if (length < 0) {
      throw new io.javalin.http.HttpResponseException(411, "a body needs a Content-Length");
    }
    if (length > MAX_BODY_BYTES) {
      drain(ctx, length);
      throw new io.javalin.http.HttpResponseException(
          413, "a body is at most " + MAX_BODY_BYTES + " bytes");
    }
    int bytes = (int) length;
    if (!bodies.tryAcquire(bytes, 2, java.util.concurrent.TimeUnit.SECONDS)) {
      drain(ctx, length);
      ctx.header("Retry-After", "1");
      throw new io.javalin.http.HttpResponseException(503, "too many requests in flight");
    }
    ctx.attribute("cairn.body", bytes);
  }

  /**
   * Reads and discards a refused body, up to {@link #MAX_DRAIN_BYTES}, through one small buffer:
   * Jetty closes a connection whose request body was not read, and a client still sending then may
   * never read the refusal. A larger body is not read: that connection is closed.
   */
  private static void drain(Context ctx, long length) {
    if (length > MAX_DRAIN_BYTES) {
      return;
    }
    try (java.io.InputStream in = ctx.req().getInputStream()) {
      byte[] discard = new byte[64 << 10];
      while (in.read(discard) >= 0) {
        // discarded
      }
    } catch (java.io.IOException e) {
      // the client went away: nothing to answer
    }
  }

  private void releaseBody(Context ctx) {
    Integer bytes = ctx.attribute("cairn.body");
    if (bytes != null) {
      ctx.attribute("cairn.body", null);
      bodies.release(bytes);
    }
  }

  private void mount(Context ctx) {
    String user = user(ctx);
    JsonNode stores = body(ctx).path("stores");
    if (!stores.isArray()) {
      throw new IllegalArgumentException("the body is {\"stores\": [location, ...]}");
    }
    List<String> list = new ArrayList<>();
    stores.forEach(s -> list.add(s.asText()));
    table.mount(user, ctx.pathParam("channel"), list);
    ctx.json(table.mounts(user));
  }

  // ---- health, metrics, description ----

  private static final String STARTED = "cairn.started";

  /**
   * Liveness answers while the node serves; readiness (and {@code /health}) also asks the table
   * (this node's stores, or the table node a store node was pointed at) and the store of logs. 200
   * and {@code "UP"} when all answer, else 503 and {@code "DOWN"}, with each check's status and the
   * kind of error, never its message: the answer is for anyone who asks.
   */
  private void health(Context ctx, boolean ready) {
    ObjectNode out = Json.MAPPER.createObjectNode();
    boolean up = !closing;
    if (ready) {
      ObjectNode checks = out.putObject("checks");
      up &= check(checks, "table", this::checkTable);
      up &= check(checks, "logs", logs::lastSequence);
    }
    out.put("status", up ? "UP" : "DOWN");
    ctx.status(up ? 200 : 503).json(out);
  }

  private static boolean check(ObjectNode checks, String name, Runnable probe) {
    ObjectNode one = checks.putObject(name);
    try {
      probe.run();
      one.put("status", "UP");
      return true;
    } catch (RuntimeException e) {
      one.put("status", "DOWN");
      one.put("error", e.getClass().getSimpleName());
      return false;
    }
  }

  private void checkTable() {
    if (tableUrl == null) {
      sessionStore.lastSequence();
      tableStore.get("health");
      return;
    }
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(URI.create(tableUrl + "/health/live"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() != 200) {
        throw new dev.cairn.UnavailableException("the table answered " + r.statusCode());
      }
    } catch (java.io.IOException e) {
      throw new dev.cairn.UnavailableException("the table did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new dev.cairn.UnavailableException("interrupted while asking the table", e);
    }
  }

  private long sessionsHeld() {
    return tableUrl == null ? sessionStore.keys().size() : 0;
  }

  /** Times every answered request under its route template; streams are counted, not timed. */
  private void measure(Context ctx) {
    Long started = ctx.attribute(STARTED);
    String route = route(ctx);
    if (started == null || route.equals("/store/stream")) {
      return;
    }
    metrics.request(ctx.method().name(), route, ctx.statusCode(), System.nanoTime() - started);
  }

  /** The template of the route that matched ({@code /users/{user}}), or "unmatched". */
  private static String route(Context ctx) {
    io.javalin.router.Endpoint matched;
    try {
      matched = ctx.endpoints().matchedHttpEndpoint();
    } catch (RuntimeException e) {
      matched = null; // none matched
    }
    return matched == null ? "unmatched" : matched.path;
  }

  /**
   * The routes this node serves, as {@code "METHOD /path"}, read from its router: what the OpenAPI
   * description must name.
   */
  java.util.SortedSet<String> routes() {
    java.util.SortedSet<String> out = new java.util.TreeSet<>();
    for (io.javalin.router.ParsedEndpoint e : app.unsafe.internalRouter.allHttpHandlers()) {
      String method = e.endpoint.method.name();
      if (!method.equals("BEFORE")
          && !method.equals("AFTER")
          && !method.equals("BEFORE_MATCHED")
          && !method.equals("AFTER_MATCHED")
          && !method.equals("HEAD")) {
        out.add(method + " " + e.endpoint.path);
      }
    }
    return out;
  }

  /** The OpenAPI description of this API, from the jar. */
  private static String openApi() {
    try (java.io.InputStream in = Node.class.getResourceAsStream("openapi.json")) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException | NullPointerException e) {
      throw new IllegalStateException("the jar lacks dev/cairn/node/openapi.json", e);
    }
  }

  // ---- the store ----

  private void read(Context ctx) {
    String key = key(ctx);
    long after = longParam(ctx, "after", 0);
    long limit = longParam(ctx, "limit", Integer.MAX_VALUE);
    if (limit < 1 || limit > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("limit must be a positive number");
    }
    ctx.json(entries(logs.read(key, after, (int) limit), null));
  }

  private void append(Context ctx) {
    String key = key(ctx);
    long expected = longParam(ctx, "expected", Backend.ANY_HEAD);
    JsonNode payloads = body(ctx).path("payloads");
    if (!payloads.isArray() || payloads.isEmpty() || payloads.size() > MAX_BATCH) {
      throw new IllegalArgumentException(
          "the body is {\"payloads\": [base64, ...]} with 1 to " + MAX_BATCH + " entries");
    }
    List<byte[]> bytes = new ArrayList<>();
    for (JsonNode p : payloads) {
      try {
        bytes.add(Base64.getDecoder().decode(p.asText()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a payload is not base64");
      }
    }
    long last = logs.append(key, expected, bytes);
    metrics.appended(bytes.size());
    ctx.json(Map.of("last", last));
  }

  private void keys(Context ctx) {
    String prefix = prefix(user(ctx));
    List<String> mine = new ArrayList<>();
    for (String k : logs.keys()) {
      if (k.startsWith(prefix)) {
        mine.add(k.substring(prefix.length()));
      }
    }
    ctx.json(mine);
  }

  private void changes(Context ctx) {
    String prefix = prefix(user(ctx));
    long since = longParam(ctx, "since", 0);
    int limit = (int) Math.max(1, Math.min(1000, longParam(ctx, "limit", 1000)));
    List<LogEntry> mine = new ArrayList<>();
    // others' entries are skipped, page after page, so that an empty answer means the end
    while (mine.isEmpty()) {
      List<LogEntry> page = logs.changes(since, limit);
      if (page.isEmpty()) {
        break;
      }
      for (LogEntry e : page) {
        if (e.key().startsWith(prefix)) {
          mine.add(e);
        }
      }
      since = page.get(page.size() - 1).seq();
    }
    ctx.json(entries(mine, prefix));
  }

  private static ObjectNode entries(List<LogEntry> entries, String stripPrefix) {
    ObjectNode out = Json.MAPPER.createObjectNode();
    ArrayNode list = out.putArray("entries");
    for (LogEntry e : entries) {
      ObjectNode one = list.addObject();
      one.put("seq", e.seq());
      if (stripPrefix != null) {
        one.put("key", e.key().substring(stripPrefix.length()));
      }
      one.put("payload", Base64.getEncoder().encodeToString(e.payload()));
    }
    return out;
  }

  /** Sends every stream the entries of its user appended since it was last sent some. */
  private void tellStreams() {
    for (Stream stream : streams) {
      try {
        while (true) {
          List<LogEntry> page = logs.changes(stream.sent, 1000);
          if (page.isEmpty()) {
            break;
          }
          List<LogEntry> mine = new ArrayList<>();
          for (LogEntry e : page) {
            if (e.key().startsWith(stream.prefix)) {
              mine.add(e);
            }
          }
          if (!mine.isEmpty()) {
            if (!stillValid(stream)) {
              streams.remove(stream);
              stream.client.close();
              break;
            }
            stream.client.sendEvent("append", Json.write(entries(mine, stream.prefix)));
          }
          stream.sent = page.get(page.size() - 1).seq();
        }
      } catch (RuntimeException e) {
        streams.remove(stream);
      }
    }
  }

  // ---- checks ----

  /** The user the token checked before the handler belongs to. */
  private static String user(Context ctx) {
    String user = ctx.attribute("user");
    if (user == null) {
      throw new AccessDeniedException("no user");
    }
    return user;
  }

  /** The user of the request's token: this node's table, or the table it was pointed at. */
  /** Whether a stream's token still belongs to its user; if the table cannot say, it does not. */
  private boolean stillValid(Stream stream) {
    try {
      return authenticateStore(stream.token).equals(stream.user);
    } catch (AccessDeniedException | dev.cairn.UnavailableException e) {
      return false;
    }
  }

  private String authenticate(Context ctx) {
    return authenticate(token(ctx));
  }

  /**
   * The user of a store token issued for this node's store: checked by this node's table, or by the
   * table a store node was pointed at. A session token is refused here: only the table sees it.
   */
  private String authenticateStore(String token) {
    if (audience == null) {
      throw new dev.cairn.UnavailableException("the node is starting");
    }
    if (tableUrl == null) {
      return table.authenticateStore(token, audience);
    }
    return userFromTable(
        "/sessions/check-store?store="
            + java.net.URLEncoder.encode(audience, java.nio.charset.StandardCharsets.UTF_8),
        token);
  }

  private String authenticate(String token) {
    if (tableUrl == null) {
      return table.authenticate(token);
    }
    return userFromTable("/sessions/check", token);
  }

  /** The user this store node's table says {@code token} belongs to, asked at {@code path}. */
  private String userFromTable(String path, String token) {
    HttpResponse<String> r = askTable("GET", path, token);
    if (r.statusCode() != 200) {
      throw new AccessDeniedException("the table refused the token");
    }
    try {
      return Json.MAPPER.readTree(r.body()).get("user").asText();
    } catch (java.io.IOException e) {
      throw new dev.cairn.UnavailableException("the table at " + tableUrl + " answered no user", e);
    }
  }

  /** A request to this store node's table, with the client's token. */
  private HttpResponse<String> askTable(String method, String path, String token) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(tableUrl + path))
              .header("Authorization", "Bearer " + token)
              .timeout(Duration.ofSeconds(10))
              .method(method, HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new dev.cairn.UnavailableException("the table at " + tableUrl + " did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new dev.cairn.UnavailableException("interrupted while asking the table", e);
    }
  }

  /** The request's key, checked and put under the user's prefix. */
  private String key(Context ctx) {
    String user = user(ctx);
    String key = ctx.queryParam("key");
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException("key is 1 to " + MAX_KEY_LENGTH + " characters");
    }
    for (int i = 0; i < key.length(); i++) {
      if (key.charAt(i) < 0x20 || key.charAt(i) == 0x7f) {
        throw new IllegalArgumentException("key has a control character");
      }
    }
    return prefix(user) + key;
  }

  private static String prefix(String user) {
    return "u/" + user + "/";
  }

  private static String token(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.startsWith("Bearer ") || header.length() > 200) {
      throw new AccessDeniedException("no bearer token");
    }
    return header.substring(7).trim();
  }

  private static JsonNode body(Context ctx) {
    JsonNode body = Json.parse(ctx.body());
    if (!body.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object");
    }
    return body;
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("the body needs \"" + field + "\", a string");
    }
    return v.asText();
  }

  private static long longParam(Context ctx, String name, long fallback) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number");
    }
  }

  private static void refuse(Context ctx) {
    error(ctx, 401, "unauthorized");
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).json(Map.of("error", message));
  }

  @Override
  public void close() {
    closing = true;
    app.stop();
    metrics.close();
    sweeper.shutdownNow();
    streamer.shutdown();
    try {
      watch.close();
    } catch (RuntimeException e) {
      // stopping anyway
    }
    logs.close();
    sessionStore.close();
    tableStore.close();
  }
}
