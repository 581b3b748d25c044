package dev.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.InvalidDocumentException;
import dev.cairn.Subscription;
import dev.cairn.json.Json;
import dev.cairn.oplog.OplogClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code cairn oplog}: push to, read and watch oplog channels with the built-in reducers. */
@Command(
    name = "oplog",
    mixinStandardHelpOptions = true,
    description = {
      "Oplog channels (docs/oplog.md): logs of operations reduced by a type's reducer, kept in"
          + " every store of the channel.",
      "Types: counter (payload: a number), register (any JSON), set ({\"add\": x} or"
          + " {\"remove\": x}), document (MongoDB update operators)."
    },
    subcommands = {OplogCommand.Push.class, OplogCommand.Get.class, OplogCommand.Watch.class})
final class OplogCommand {
  static final String CHANNEL_HELP = "The channel's name.";

  @ParentCommand Main main;

  @Option(
      names = "--in",
      paramLabel = "LOCATION",
      description = "A store of the channel; repeat for several. Default: the --store location.",
      scope = picocli.CommandLine.ScopeType.INHERIT)
  List<String> stores;

  @Option(
      names = "--outbox",
      paramLabel = "DIR",
      description =
          "A store directory that keeps a copy of the channel's logs: a push is on disk there"
              + " before it ends, and reaches the other stores when they answer (now or on a"
              + " later run with the same outbox).",
      scope = picocli.CommandLine.ScopeType.INHERIT)
  String outbox;

  @Option(
      names = "--table",
      paramLabel = "URL",
      description =
          "A node whose table lists the channel's stores (the user's mounts), with the session"
              + " token in $CAIRN_TOKEN; --in stores are then added to them (a local table).",
      scope = picocli.CommandLine.ScopeType.INHERIT)
  String table;

  /** A client of the channel; one that only reads creates no store directory. */
  OplogClient client(String channel, boolean writes) {
    OplogClient.Builder builder = OplogClient.builder().createStores(writes);
    if (table != null) {
      String token = System.getenv("CAIRN_TOKEN");
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("--table needs the session token in $CAIRN_TOKEN");
      }
      builder.table(table, token.strip());
      if (stores != null && !stores.isEmpty()) {
        builder.channel(channel, stores.toArray(String[]::new));
      }
    } else {
      List<String> locations =
          stores == null || stores.isEmpty() ? List.of(main.location()) : stores;
      builder.channel(channel, locations.toArray(String[]::new));
    }
    if (outbox != null) {
      builder.outbox(outbox);
    }
    return builder.open();
  }

  /** Warns on stderr of each store of the channel that did not answer or refused. */
  static void warnFailing(OplogClient client, String channel, PrintWriter err) {
    client
        .failingStores(channel)
        .forEach((store, why) -> err.println("cairn: warning: store " + store + ": " + why));
  }

  static JsonNode payload(String json) {
    try {
      return Json.parse(json);
    } catch (InvalidDocumentException e) {
      throw new InvalidDocumentException("the payload: " + e.getMessage(), e);
    }
  }

  /** The name of one log: its channel, type and path. */
  static final class LogName {
    @Parameters(index = "0", paramLabel = "CHANNEL", description = CHANNEL_HELP)
    String channel;

    @Parameters(
        index = "1",
        paramLabel = "TYPE",
        description = "The log's type, which names its reducer (counter, register, set, document).")
    String type;

    @Parameters(
        index = "2",
        paramLabel = "PATH",
        description = "The log's path: names separated by /.")
    String path;
  }

  @Command(
      name = "push",
      description = {
        "Push an operation and print the log's new value. The command ends once the operation"
            + " is in every store of the channel, or after 10 s with a warning naming the stores"
            + " that do not have it yet (they get it from the next client that reaches both).",
        "It succeeds only if a store holds the operation: a local one (a directory, --outbox)"
            + " or a shared one that acknowledged it; else it fails with exit 6 (no store"
            + " answered) or 5 (every store refused its location or credentials)."
      })
  static final class Push implements java.util.concurrent.Callable<Integer> {
    @ParentCommand OplogCommand parent;
    @Spec CommandSpec spec;

    @Mixin LogName log;

    @Parameters(index = "3", paramLabel = "JSON", description = "The operation's payload, as JSON.")
    String json;

    @Override
    public Integer call() throws Exception {
      JsonNode payload = payload(json);
      try (OplogClient client = parent.client(log.channel, true)) {
        JsonNode value = client.push(log.channel, log.type, log.path, payload);
        PrintWriter err = spec.commandLine().getErr();
        if (!client.flush(Duration.ofSeconds(10))) {
          err.println(
              "cairn: warning: not every store of the channel has the operation yet; it is held"
                  + " by the ones that answered, and clients that reach both deliver it");
          warnFailing(client, log.channel, err);
        }
        spec.commandLine().getOut().println(Json.write(value));
      }
      return Main.OK;
    }
  }

  @Command(
      name = "get",
      description = {
        "Print the value of a log, read from every store of the channel; a store that does not"
            + " answer gets a warning. Fails (exit 6, or 5 for refused locations) if no store can"
            + " be read."
      })
  static final class Get implements java.util.concurrent.Callable<Integer> {
    @ParentCommand OplogCommand parent;
    @Spec CommandSpec spec;

    @Mixin LogName log;

    @Override
    public Integer call() {
      try (OplogClient client = parent.client(log.channel, false)) {
        JsonNode value = client.get(log.channel, log.type, log.path);
        warnFailing(client, log.channel, spec.commandLine().getErr());
        spec.commandLine().getOut().println(Json.write(value));
      }
      return Main.OK;
    }
  }

  @Command(
      name = "watch",
      description =
          "Print every new value of every log of a channel, by any client, as one JSON line"
              + " {\"type\", \"path\", \"value\"} (Ctrl-C stops).")
  static final class Watch implements java.util.concurrent.Callable<Integer> {
    @ParentCommand OplogCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CHANNEL", description = CHANNEL_HELP)
    String channel;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N values.")
    Integer count;

    @Override
    public Integer call() throws InterruptedException {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      try (OplogClient client = parent.client(channel, false);
          Subscription sub =
              client.onChannel(
                  channel,
                  (ch, type, path, value) -> {
                    var line = Json.MAPPER.createObjectNode().put("type", type).put("path", path);
                    line.set("value", value);
                    lines.add(Json.write(line));
                  })) {
        spec.commandLine().getErr().println("cairn: watching channel " + channel);
        PrintWriter out = spec.commandLine().getOut();
        for (int seen = 0; count == null || seen < count; seen++) {
          out.println(lines.take());
          out.flush();
        }
      }
      return Main.OK;
    }
  }
}
