package dev.cairn.console;

import static dev.cairn.console.Api.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.CairnException;
import dev.cairn.DocumentStore;
import dev.cairn.NotFoundException;
import dev.cairn.Patched;
import dev.cairn.SharedObject;
import dev.cairn.Subscription;
import dev.cairn.UnavailableException;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Shared objects: their names, an object's state and version, live, and patches. The console opens
 * an object as any process does, the first time it is asked for it, and keeps it open until it
 * closes; on a store directory it may so become the object's host for a while.
 */
final class SharedRoutes implements AutoCloseable {
  /** How long a patch may take to get its place in the object's order. */
  static final long PATCH_SECONDS = 10;

  private final DocumentStore store;
  private final Map<String, SharedObject> open = new ConcurrentHashMap<>();

  SharedRoutes(DocumentStore store) {
    this.store = store;
  }

  void names(Context ctx) {
    ctx.json(Map.of("names", store.sharedObjects()));
  }

  void object(Context ctx) {
    SharedObject object = object(ctx.pathParam("name"));
    ctx.json(state(object.version(), object.get(), object.isHost()));
  }

  /** Applies the body's update operators, and answers once the patch has its place. */
  void patch(Context ctx) throws InterruptedException {
    SharedObject object = object(ctx.pathParam("name"));
    JsonNode update =
        Api.objectBody(ctx, "MongoDB update operators, such as {\"$inc\": {\"n\": 1}}");
    Patched patched;
    try {
      patched = object.patch(update).get(PATCH_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CairnException cause) {
        throw cause; // a rejection where the patch landed: the same errors as a direct one
      }
      throw new IllegalStateException("the patch failed", e.getCause());
    } catch (TimeoutException e) {
      throw new UnavailableException(
          "the patch of '"
              + object.name()
              + "' got no place in its order within "
              + PATCH_SECONDS
              + " s; it may still get one");
    }
    ctx.json(state(patched.version(), patched.state(), object.isHost()));
  }

  /** The object's state whenever a patch from any process changes it: {@code state} events. */
  void live(SseClient client) {
    SharedObject object = object(client.ctx().pathParam("name"));
    client.keepAlive();
    Subscription s =
        object.observe(
            "",
            (path, value, version) ->
                client.sendEvent(
                    "state", state(version, (ObjectNode) value, object.isHost()).toString()));
    client.onClose(s::close);
    client.sendEvent("ready", "");
  }

  private SharedObject object(String name) {
    SharedObject object = open.get(name);
    if (object != null) {
      return object;
    }
    if (!store.sharedObjects().contains(name)) {
      throw new NotFoundException("the store holds no shared object '" + name + "'");
    }
    return open.computeIfAbsent(name, store::share);
  }

  private static ObjectNode state(long version, ObjectNode state, boolean host) {
    ObjectNode out = JSON.createObjectNode();
    out.put("version", version);
    out.put("host", host);
    out.set("state", state);
    return out;
  }

  @Override
  public void close() {
    open.values().forEach(SharedObject::close);
    open.clear();
  }
}
