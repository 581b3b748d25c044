package dev.cairn.node;

import java.nio.file.Path;

/**
 * Runs a node until the process ends: {@code DATA PORT [TABLE_URL]}; from the environment, the
 * admin token ({@code CAIRN_ADMIN_TOKEN}) and, for HTTPS, a PKCS12 key store and its password
 * ({@code CAIRN_TLS_KEYSTORE}, {@code CAIRN_TLS_PASSWORD}). Prints {@code listening PORT} when it
 * serves.
 */
public final class NodeMain {
  private NodeMain() {}

  /** {@code CAIRN_HASH_ITERATIONS}, for tests and small machines; OWASP's figure otherwise. */
  static int iterations() {
    String v = System.getenv("CAIRN_HASH_ITERATIONS");
    return v == null || v.isBlank() ? NodeTable.DEFAULT_ITERATIONS : Integer.parseInt(v.trim());
  }

  public static void main(String[] args) throws InterruptedException {
    Node node =
        new Node(
            new Node.Config(
                Path.of(args[0]),
                "127.0.0.1",
                Integer.parseInt(args[1]),
                args.length > 2 ? args[2] : null,
                System.getenv("CAIRN_ADMIN_TOKEN"),
                iterations(),
                System.getenv("CAIRN_TLS_KEYSTORE") == null
                    ? null
                    : Path.of(System.getenv("CAIRN_TLS_KEYSTORE")),
                System.getenv("CAIRN_TLS_PASSWORD") == null
                    ? new char[0]
                    : System.getenv("CAIRN_TLS_PASSWORD").toCharArray()));
    Runtime.getRuntime().addShutdownHook(new Thread(node::close));
    System.out.println("listening " + node.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
