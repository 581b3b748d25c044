package dev.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.InvalidDocumentException;
import dev.cairn.Subscription;
import dev.cairn.internal.Json;
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
  @ParentCommand Main main;

  @Option(
      names = "--in",
      paramLabel = "LOCATION",
      description = "A store of the channel; repeat for several. Default: the --store location.",
      scope = picocli.CommandLine.ScopeType.INHERIT)
  List<String> stores;

  OplogClient client(String channel) {
    List<String> locations = stores == null || stores.isEmpty() ? List.of(main.location()) : stores;
    return OplogClient.builder().channel(channel, locations.toArray(String[]::new)).open();
  }

  static JsonNode payload(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new InvalidDocumentException("the payload is not valid JSON: " + e.getMessage());
    }
  }

  /** The name of one log: its channel, type and path. */
  static final class LogName {
    @Parameters(index = "0", paramLabel = "CHANNEL")
    String channel;

    @Parameters(index = "1", paramLabel = "TYPE")
    String type;

    @Parameters(index = "2", paramLabel = "PATH")
    String path;
  }

  @Command(
      name = "push",
      description =
          "Push an operation and print the log's new value. It is in every store of the channel"
              + " when the command ends, or a warning says which ones will get it later.")
  static final class Push implements java.util.concurrent.Callable<Integer> {
    @ParentCommand OplogCommand parent;
    @Spec CommandSpec spec;

    @Mixin LogName log;

    @Parameters(index = "3", paramLabel = "JSON")
    String json;

    @Override
    public Integer call() throws Exception {
      JsonNode payload = payload(json);
      try (OplogClient client = parent.client(log.channel)) {
        JsonNode value = client.push(log.channel, log.type, log.path, payload);
        if (!client.flush(Duration.ofSeconds(10))) {
          spec.commandLine()
              .getErr()
              .println(
                  "cairn: not every store of the channel answered; the operation is in the ones"
                      + " that did, and clients that reach both deliver it");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(Json.write(value));
      }
      return Main.OK;
    }
  }

  @Command(name = "get", description = "Print the value of a log.")
  static final class Get implements java.util.concurrent.Callable<Integer> {
    @ParentCommand OplogCommand parent;
    @Spec CommandSpec spec;

    @Mixin LogName log;

    @Override
    public Integer call() {
      try (OplogClient client = parent.client(log.channel)) {
        spec.commandLine()
            .getOut()
            .println(Json.write(client.get(log.channel, log.type, log.path)));
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

    @Parameters(index = "0", paramLabel = "CHANNEL")
    String channel;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N values.")
    Integer count;

    @Override
    public Integer call() throws InterruptedException {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      try (OplogClient client = parent.client(channel);
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
