package dev.cairn.console;

import static dev.cairn.console.Api.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.oplog.Checkpoint;
import dev.cairn.oplog.Operation;
import dev.cairn.oplog.OplogKey;
import dev.cairn.oplog.Reducers;
import dev.cairn.oplog.StoredChannels;
import dev.cairn.oplog.StoredLog;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/**
 * Oplog channels as this store holds them: each log's value (where its type names a built-in
 * reducer; an application's own reducer is not in the console), its recent operations and its
 * checkpoints.
 */
final class ChannelRoutes {
  /** The most recent operations one log's answer lists. */
  static final int RECENT = 50;

  private final StoredChannels channels;

  ChannelRoutes(StoredChannels channels) {
    this.channels = channels;
  }

  void names(Context ctx) {
    ctx.json(Map.of("names", channels.channels()));
  }

  /** The channel's logs, each with its value and counts. */
  void channel(Context ctx) {
    String channel = ctx.pathParam("channel");
    ArrayNode logs = JSON.createArrayNode();
    for (OplogKey key : this.channels.logs(channel)) {
      StoredLog log = this.channels.read(channel, key.type(), key.path());
      logs.add(summary(log));
    }
    ctx.json(Map.of("channel", channel, "logs", logs));
  }

  /** One log ({@code ?type=T&path=P}): value, checkpoints and its last operations. */
  void log(Context ctx) {
    String channel = ctx.pathParam("channel");
    StoredLog log =
        this.channels.read(channel, Api.required(ctx, "type"), Api.required(ctx, "path"));
    ObjectNode out = summary(log);
    ArrayNode checkpoints = out.putArray("checkpoints");
    for (Checkpoint cp : log.checkpoints()) {
      ObjectNode row = checkpoints.addObject();
      row.put("date", cp.date()).put("sha", cp.sha()).put("covers", cp.size());
      row.set("state", cp.state());
    }
    ArrayNode recent = out.putArray("recent");
    List<Operation> ops = log.operations();
    Checkpoint start = log.start().orElse(null);
    for (int i = ops.size() - 1; i >= Math.max(0, ops.size() - RECENT); i--) {
      Operation op = ops.get(i);
      ObjectNode row = recent.addObject();
      row.put("date", op.date()).put("sha", op.sha()).put("writer", op.writer());
      row.put("number", op.number()).put("folded", start != null && start.covers(op));
      row.set("payload", op.payloadOrNull());
    }
    ctx.json(out);
  }

  private static ObjectNode summary(StoredLog log) {
    ObjectNode row = JSON.createObjectNode();
    row.put("type", log.name().type()).put("path", log.name().path());
    JsonNode value = Reducers.builtIn(log.name().type()).map(log::value).orElse(null);
    row.put("reduced", value != null);
    row.set("value", value);
    row.put("operations", log.operations().size());
    row.put("pending", log.pending().size());
    row.put("checkpoints", log.checkpoints().size());
    return row;
  }
}
