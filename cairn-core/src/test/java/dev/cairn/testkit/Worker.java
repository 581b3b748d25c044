package dev.cairn.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import java.util.Map;

/**
 * What the multi-process tests run in other JVMs. Each mode prints what it has done, one line at a
 * time, so that the test knows what was acknowledged before it killed the process.
 */
public final class Worker {
  private Worker() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "increment" -> increment(args[1], args[2], Integer.parseInt(args[3]));
      case "scoped-increment" -> {
        try (DocumentStore store = Cairn.open(args[1])) {
          System.out.println("ready");
          System.out.flush();
          new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
          for (int i = 0; i < Integer.parseInt(args[3]); i++) {
            store.scoped(args[2], doc -> doc.put("n", doc.path("n").asLong() + 1));
          }
        }
        System.out.println("done 0");
      }
      case "stream" -> stream(args[1], args[2], Durability.valueOf(args[3]));
      case "write" -> {
        try (DocumentStore store = Cairn.open(args[1])) {
          store.upsert(args[2], Map.of("from", "another process"));
        }
      }
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  /** Adds 1 to the counter {@code count} times by strict read-modify-write, retrying conflicts. */
  private static void increment(String location, String id, int count) throws java.io.IOException {
    int conflicts = 0;
    try (DocumentStore store = Cairn.open(location)) {
      System.out.println("ready");
      System.out.flush();
      new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine(); // "go"
      for (int i = 0; i < count; i++) {
        while (true) {
          ObjectNode doc = store.get(id).orElseThrow();
          doc.put("n", doc.get("n").asLong() + 1);
          try {
            store.update(doc);
            System.out.println("wrote " + doc.get("n").asLong());
            break;
          } catch (ConflictException e) {
            conflicts++;
          }
        }
      }
    }
    System.out.println("done " + conflicts);
  }

  /** Writes documents prefix-0, prefix-1, ... until killed, printing "ack N" after each returns. */
  private static void stream(String location, String prefix, Durability durability) {
    try (DocumentStore store = Cairn.builder(location).durability(durability).open()) {
      for (long i = 0; ; i++) {
        store.upsert(prefix + "-" + i, Map.of("i", i, "pad", "x".repeat((int) (i % 300))));
        if (i % 3 == 0) {
          ObjectNode counter = store.get(prefix + "-" + (i / 3)).orElseThrow();
          store.update(counter); // a strict update too, same content: a new revision
        }
        System.out.println("ack " + i);
        System.out.flush();
      }
    }
  }
}
