package dev.cairn.console;

import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidDocumentException;
import dev.cairn.NotFoundException;
import dev.cairn.UnavailableException;
import dev.cairn.oplog.StoredChannels;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The console's server: the HTTP API a browser page uses to look at one store, on a local address,
 * every request carrying the token this start drew ({@code Authorization: Bearer TOKEN}). Writes go
 * through the store's own operations and are as strict about {@code _rev} as the API is.
 *
 * <p>The routes below are the whole API (docs/console.md describes each): documents, the live
 * change feed, shared objects, oplog channels and the store itself. A live feed is server-sent
 * events; its token comes as {@code ?token=}, since a browser's {@code EventSource} sends no
 * headers. The page ({@code /}) is plain HTML, CSS and JavaScript from the jar, and reads the token
 * from the URL's fragment, which browsers never send.
 */
public final class Console implements AutoCloseable {
  /** The most ids one page holds. */
  public static final int MAX_PAGE = DocumentRoutes.MAX_PAGE;

  private final byte[] token;
  private final String tokenText;
  private final SharedRoutes shared;
  private final Javalin app;

  /**
   * Serves {@code store} on {@code host}:{@code port} (0: a free port) with a fresh random token.
   * The store stays the caller's: closing the console does not close it.
   */
  public Console(DocumentStore store, String host, int port) {
    this(store, requireStore(store).channels(), host, port);
  }

  /**
   * Serves the oplog channels of a store that holds nothing else (a node's store), as {@link
   * #Console(DocumentStore, String, int)} serves a whole store; {@code channels} stays the
   * caller's.
   */
  public static Console ofChannels(StoredChannels channels, String host, int port) {
    if (channels == null) {
      throw new IllegalArgumentException("a console needs the channels it shows");
    }
    return new Console(null, channels, host, port);
  }

  private static DocumentStore requireStore(DocumentStore store) {
    if (store == null) {
      throw new IllegalArgumentException("a console needs the store it shows");
    }
    return store;
  }

  private Console(DocumentStore store, StoredChannels channels, String host, int port) {
    if (host == null || host.isBlank() || port < 0 || port > 65_535) {
      throw new IllegalArgumentException("a console needs a host and a port 0-65535");
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    this.tokenText = HexFormat.of().formatHex(random);
    this.token = tokenText.getBytes(StandardCharsets.US_ASCII);
    ChannelRoutes channelRoutes = new ChannelRoutes(channels);
    this.shared = store == null ? null : new SharedRoutes(store);
    this.app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.routes.before("/api/*", this::authenticate);
              c.routes.get("/", ctx -> asset(ctx, "index.html", "text/html"));
              c.routes.get("/app.js", ctx -> asset(ctx, "app.js", "text/javascript"));
              c.routes.get("/style.css", ctx -> asset(ctx, "style.css", "text/css"));

              if (store == null) {
                c.routes.get(
                    "/api/store",
                    ctx -> ctx.json(Map.of("location", channels.location(), "channelsOnly", true)));
              } else {
                StoreRoutes whole = new StoreRoutes(store);
                c.routes.get("/api/store", whole::info);
                c.routes.get("/api/store/usage", whole::usage);
                c.routes.post("/api/store/compact", whole::compact);
                c.routes.get("/api/store/check", whole::check);

                DocumentRoutes documents = new DocumentRoutes(store);
                c.routes.get("/api/docs", documents::ids);
                c.routes.get("/api/docs/{id}", documents::document);
                c.routes.get("/api/docs/{id}/revs/{rev}", documents::revision);
                c.routes.post("/api/docs/{id}/resolve", documents::resolve);
                c.routes.post("/api/docs/{id}/merge", documents::merge);
                c.routes.sse("/api/changes", documents::changes);

                c.routes.get("/api/shared", shared::names);
                c.routes.get("/api/shared/{name}", shared::object);
                c.routes.post("/api/shared/{name}/patch", shared::patch);
                c.routes.sse("/api/shared/{name}/live", shared::live);
              }
              c.routes.get("/api/channels", channelRoutes::names);
              c.routes.get("/api/channels/{channel}", channelRoutes::channel);
              c.routes.get("/api/channels/{channel}/log", channelRoutes::log);

              c.routes.exception(Refused.class, (e, ctx) -> error(ctx, 401, "unauthorized"));
              answer(c.routes, NotFoundException.class, 404);
              answer(c.routes, ConflictException.class, 409); // not a live leaf
              answer(c.routes, InvalidDocumentException.class, 400);
              answer(c.routes, IllegalArgumentException.class, 400);
              answer(c.routes, UnavailableException.class, 503); // a patch got no place in time
              c.routes.exception(
                  io.javalin.router.EndpointNotFound.class,
                  (e, ctx) ->
                      error(ctx, 404, "no route " + ctx.method().name() + " " + ctx.path()));
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
    String query = isFeed(ctx.path()) ? ctx.queryParam("token") : null;
    byte[] given =
        header != null && header.startsWith("Bearer ")
            ? header.substring(7).trim().getBytes(StandardCharsets.US_ASCII)
            : query != null ? query.getBytes(StandardCharsets.US_ASCII) : new byte[0];
    if (!MessageDigest.isEqual(token, given)) {
      throw new Refused();
    }
  }

  /** Whether {@code path} is a live feed, which may carry the token in its query. */
  private static boolean isFeed(String path) {
    return path.equals("/api/changes")
        || (path.startsWith("/api/shared/") && path.endsWith("/live"));
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

  /** Answers {@code type} with {@code status} and its message. */
  private static <T extends Exception> void answer(
      io.javalin.config.RoutesConfig routes, Class<T> type, int status) {
    routes.exception(type, (e, ctx) -> error(ctx, status, e.getMessage()));
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).json(Map.of("error", message));
  }

  /** Stops serving and leaves the shared objects it opened; the store stays open. */
  @Override
  public void close() {
    app.stop();
    if (shared != null) {
      shared.close();
    }
  }
}
