package dev.cairn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.json.Json;
import dev.cairn.shared.SharedReplica;
import dev.cairn.update.UpdateOperators;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One live JSON object shared by every process that opens it by the same name on the same store,
 * changed by patches of MongoDB update operators (see docs/shared.md). Get one with {@link
 * DocumentStore#share(String, Object)}.
 *
 * <ul>
 *   <li><b>Reads cost no I/O.</b> {@link #get()} returns this process's view: the object as its log
 *       holds it, with this process's own patches that are still in flight applied on top.
 *   <li><b>One order.</b> Every patch gets a place in the object's single order of patches, the
 *       same in every process; {@link #version()} counts the patches accepted. A patch that cannot
 *       apply where it lands is rejected in every process alike.
 *   <li><b>Durable.</b> A patch is accepted only once it is in the store's log, with the store's
 *       {@link Durability}; the object survives every process exiting.
 *   <li><b>No server.</b> On a store directory, one of the processes is the host that orders the
 *       patches and streams them to the others over a Unix domain socket; when it exits or is
 *       killed, another takes over. On Redis and SQL stores the backend orders them, across
 *       machines.
 * </ul>
 *
 * Thread-safe. Close it (or the store) to leave; the object stays.
 */
public final class SharedObject implements AutoCloseable {
  private final String name;
  private final SharedReplica replica;
  private final Runnable onClose;

  SharedObject(String name, SharedReplica replica, Runnable onClose) {
    this.name = name;
    this.replica = replica;
    this.onClose = onClose;
  }

  public String name() {
    return name;
  }

  /** This process's view of the object (a copy the caller owns). */
  public ObjectNode get() {
    return replica.view().deepCopy();
  }

  /** The view converted to {@code type} (a record, a POJO, a Map). */
  public <T> T get(Class<T> type) {
    return Json.convert(get(), type);
  }

  /** The value at a dot path of the view ({@code "a.b.0"}; "" for the whole object), or null. */
  public JsonNode get(String path) {
    JsonNode value = UpdateOperators.valueAt(replica.view(), checkPath(path));
    return value == null ? null : value.deepCopy();
  }

  /**
   * How many patches the object's log has accepted, as far as this process has read it. Base a
   * {@link #patchIfUnchanged conditional patch} on it.
   */
  public long version() {
    return replica.version();
  }

  /**
   * Applies {@code update} to this process's view at once and sends it to be ordered.
   *
   * @param update MongoDB update operators, e.g. {@code {"$inc": {"n": 1}}}
   * @return completes with the version and state the patch produced when it has its place; fails
   *     with {@link InvalidUpdateException} if it could not apply there
   * @throws InvalidUpdateException if the update is malformed or does not apply to the view;
   *     nothing was sent
   */
  public CompletableFuture<Patched> patch(JsonNode update) {
    return replica.patch(update, -1);
  }

  /** {@link #patch(JsonNode)} with the update as JSON text. */
  public CompletableFuture<Patched> patch(String update) {
    return patch(parse(update));
  }

  /** {@link #patch(JsonNode)} with the update built by {@link Update}. */
  public CompletableFuture<Patched> patch(Update update) {
    return patch(update.toJson());
  }

  /**
   * Like {@link #patch(JsonNode)}, but the patch is rejected if a path it touches (or a path above
   * or under one) was changed by a patch accepted after {@code seenVersion}; the future then fails
   * with a {@link StalePatchException} that carries the current state. A patch more than 1000
   * versions behind is always rejected.
   *
   * @throws IllegalArgumentException if {@code seenVersion} is negative or above every version the
   *     object's log holds; nothing is sent
   */
  public CompletableFuture<Patched> patchIfUnchanged(long seenVersion, JsonNode update) {
    if (seenVersion < 0) {
      throw new IllegalArgumentException("seenVersion must be at least 0, got " + seenVersion);
    }
    return replica.patch(update, seenVersion);
  }

  /** {@link #patchIfUnchanged(long, JsonNode)} with the update as JSON text. */
  public CompletableFuture<Patched> patchIfUnchanged(long seenVersion, String update) {
    return patchIfUnchanged(seenVersion, parse(update));
  }

  /** {@link #patchIfUnchanged(long, JsonNode)} with the update built by {@link Update}. */
  public CompletableFuture<Patched> patchIfUnchanged(long seenVersion, Update update) {
    return patchIfUnchanged(seenVersion, update.toJson());
  }

  /**
   * Tells {@code listener} whenever a patch accepted from now on, by any process, changes the value
   * at {@code path} ("" for the whole object) or anything under it. Calls come on one thread per
   * object, in the object's order, with the version each change produced.
   */
  public Subscription observe(String path, PathListener listener) {
    checkPath(path);
    if (listener == null) {
      throw new IllegalArgumentException("listener must not be null");
    }
    return replica.observe(path, listener);
  }

  /** Whether this process is the one ordering the patches (always, on Redis and SQL stores). */
  public boolean isHost() {
    return replica.isHost();
  }

  /**
   * Waits until every patch this process sent has its place, or {@code timeout} passes.
   *
   * @return whether none is left in flight
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    return replica.flush(timeout);
  }

  /**
   * Leaves: waits up to five seconds for this process's patches in flight to get their place, then
   * stops following the object; if this process was the host, another one takes over. Patches still
   * in flight then fail. Closing twice does nothing.
   */
  @Override
  public void close() {
    replica.close();
    onClose.run();
  }

  private static JsonNode parse(String update) {
    try {
      return Json.parseObject(update);
    } catch (InvalidDocumentException e) {
      throw new InvalidUpdateException(e.getMessage());
    }
  }

  private static String checkPath(String path) {
    if (path == null) {
      throw new IllegalArgumentException("path must not be null; use \"\" for the whole object");
    }
    if (!path.isEmpty() && (path.startsWith(".") || path.endsWith(".") || path.contains(".."))) {
      throw new IllegalArgumentException("the path '" + path + "' has an empty part");
    }
    return path;
  }
}
