package dev.cairn.node;

import java.nio.file.Path;

/**
 * Runs a node until the process ends: {@code DATA PORT [TABLE_URL]}; from the environment, the
 * secrets of {@link Node.Config#fromEnvironment} and, for HTTPS, the key store's path in {@code
 * CAIRN_TLS_KEYSTORE}. Prints {@code listening PORT} when it serves.
 */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    keepJettyQuiet();
    String keystore = System.getenv("CAIRN_TLS_KEYSTORE");
    Node node =
        new Node(
            Node.Config.fromEnvironment(
                Path.of(args[0]),
                "127.0.0.1",
                Integer.parseInt(args[1]),
                args.length > 2 ? args[2] : null,
                keystore == null ? null : Path.of(keystore),
                null));
    Runtime.getRuntime().addShutdownHook(new Thread(node::close));
    System.out.println("listening " + node.port());
    System.out.flush();
    Thread.currentThread().join();
  }

  /**
   * For a program that runs a node with slf4j-simple (this one, and the {@code cairn} command),
   * before anything logs: Jetty's loggers at WARN, since its debug output prints request headers,
   * bearer tokens included. A program that embeds {@link Node} with another logger sets the same
   * for {@code org.eclipse.jetty} itself (docs/node.md).
   */
  public static void keepJettyQuiet() {
    System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
  }
}
