package dev.cairn.cli;

import dev.cairn.node.Node;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cairn serve}: runs a Cairn node (docs/node.md). */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run a Cairn node: the table of users, sessions and mounts, and a store of oplogs, over"
          + " HTTP (docs/node.md).",
      "Users are created with POST /users and the admin token of $CAIRN_ADMIN_TOKEN; without"
          + " it, the node creates no users.",
      "Secrets and tokens are never logged."
    })
final class Serve implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "Where the node keeps its table and logs: a new or empty directory, or an existing"
              + " node's. Default: $CAIRN_NODE_DATA, else ./cairn-node-data.")
  Path data;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      description = "The address to listen on. Default: 127.0.0.1.")
  String host = "127.0.0.1";

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "The port to listen on; 0 picks a free one. Default: 7070.")
  int port = 7070;

  @Option(
      names = "--table",
      paramLabel = "URL",
      description =
          "Another node whose table checks every token (a store node); default: this node's own.")
  String table;

  @Option(
      names = "--public-url",
      paramLabel = "URL",
      description =
          "The URL clients reach this node at (http(s)://host:port), which the store tokens it"
              + " accepts name; default: $CAIRN_PUBLIC_URL, else the address it listens on.")
  String publicUrl;

  @Option(
      names = "--tls-keystore",
      paramLabel = "FILE",
      description =
          "Serve HTTPS only, with the key and certificate of this PKCS12 key store; its password"
              + " from $CAIRN_TLS_PASSWORD.")
  Path tlsKeystore;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port is 0 to 65535, got " + port);
    }
    Path dir = dataDirectory(data, System.getenv("CAIRN_NODE_DATA"));
    Node node =
        new Node(Node.Config.fromEnvironment(dir, host, port, table, tlsKeystore, publicUrl));
    Runtime.getRuntime().addShutdownHook(new Thread(node::close));
    spec.commandLine().getOut().println("cairn node: data in " + dir);
    spec.commandLine()
        .getOut()
        .println("cairn node listening on http://" + host + ":" + node.port());
    spec.commandLine().getOut().flush();
    Thread.currentThread().join();
    return Main.OK;
  }

  /**
   * The node's data directory: {@code --data}, else {@code $CAIRN_NODE_DATA}, else {@code
   * ./cairn-node-data}; refused if it holds anything but a node's data, so that a node never writes
   * into a source tree or someone's files.
   */
  static Path dataDirectory(Path option, String environment) {
    Path dir =
        (option != null
                ? option
                : Path.of(
                    environment == null || environment.isBlank() ? "cairn-node-data" : environment))
            .toAbsolutePath()
            .normalize();
    if (java.nio.file.Files.isDirectory(dir)) {
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
        java.util.List<String> others =
            files
                .map(f -> f.getFileName().toString())
                .filter(n -> !n.equals("table") && !n.equals("logs"))
                .sorted()
                .limit(3)
                .toList();
        if (!others.isEmpty()) {
          throw new dev.cairn.InvalidLocationException(
              "%s holds other files (%s): a node keeps its data in a new or empty directory, or"
                      .formatted(dir, String.join(", ", others))
                  + " an existing node's (--data DIR or $CAIRN_NODE_DATA)");
        }
      } catch (java.io.IOException e) {
        throw new dev.cairn.InvalidLocationException("cannot read " + dir + ": " + e, e);
      }
    }
    return dir;
  }
}
