package dev.cairn.testkit;

import dev.cairn.oplog.OplogClient;

/**
 * Pushes 1 to the counter {@code core/counter/n} of a store directory ({@code DIR}) until it is
 * killed, printing {@code pushed VALUE} after each push returns.
 */
public final class OplogPushWorker {
  private OplogPushWorker() {}

  public static void main(String[] args) {
    try (OplogClient client = OplogClient.builder().channel("core", args[0]).open()) {
      while (true) {
        System.out.println("pushed " + client.push("core", "counter", "n", 1).asLong());
        System.out.flush();
      }
    }
  }
}
