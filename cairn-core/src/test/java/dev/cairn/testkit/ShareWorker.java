package dev.cairn.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidUpdateException;
import dev.cairn.Patched;
import dev.cairn.SharedObject;
import dev.cairn.Update;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * What the shared-object tests run in other JVMs. Each mode prints what was accepted, one line at a
 * time, then on "await V" waits until it has read version V and prints {@code state V json}.
 */
public final class ShareWorker {
  private ShareWorker() {}

  public static void main(String[] args) throws Exception {
    String location = args[1];
    String name = args[2];
    int index = Integer.parseInt(args[3]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    try (DocumentStore store = Cairn.open(location)) {
      SharedObject obj = store.share(name, "{}");
      Object changed = new Object();
      obj.observe(
          "",
          (path, value, version) -> {
            synchronized (changed) {
              changed.notifyAll();
            }
          });
      System.out.println("ready");
      System.out.flush();
      switch (args[0]) {
        case "random" -> random(obj, index, Integer.parseInt(args[4]), in);
        case "stream" -> stream(obj, index, in);
        default -> throw new IllegalArgumentException("unknown mode " + args[0]);
      }
      String line = in.readLine(); // "await V"
      long target = Long.parseLong(line.split(" ")[1]);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      synchronized (changed) {
        while (obj.version() < target && System.nanoTime() < deadline) {
          changed.wait(100);
        }
      }
      System.out.println("state " + obj.version() + " " + obj.get());
      System.out.flush();
    }
  }

  /** Random patches, all sent at once, some on fields the others write too. */
  private static void random(SharedObject obj, int index, int count, BufferedReader in)
      throws Exception {
    in.readLine(); // "go"
    Random rnd = new Random(index * 7919L);
    List<CompletableFuture<Patched>> sent = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < count; i++) {
      int pick = rnd.nextInt(100);
      String kind;
      Update u;
      if (pick < 40) {
        kind = "inc";
        u = Update.of().inc("c.p" + index, 1);
      } else if (pick < 60) {
        kind = "set";
        u = Update.of().set("same.f" + rnd.nextInt(3), "p" + index + "-" + i);
      } else if (pick < 75) {
        kind = "push";
        u = Update.of().push("list", "p" + index + "-" + i);
      } else if (pick < 85) {
        kind = "max";
        u = Update.of().max("hi", rnd.nextInt(1_000_000));
      } else if (pick < 95) {
        kind = "inc-contested"; // rejected wherever same.f0 holds a string
        u = Update.of().inc("same.f0", 1);
      } else {
        kind = "unset";
        u = Update.of().unset("same.f1");
      }
      try {
        sent.add(obj.patch(u));
        kinds.add(kind);
      } catch (InvalidUpdateException e) {
        refused++;
      }
    }
    int accepted = 0;
    int incs = 0;
    int pushes = 0;
    int rejected = 0;
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get();
        accepted++;
        incs += kinds.get(i).equals("inc") ? 1 : 0;
        pushes += kinds.get(i).equals("push") ? 1 : 0;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof InvalidUpdateException)) {
          throw e;
        }
        rejected++;
      }
    }
    System.out.println(
        "sent accepted=%d incs=%d pushes=%d rejected=%d refused=%d"
            .formatted(accepted, incs, pushes, rejected, refused));
    System.out.flush();
  }

  /** One increment at a time until "stop", printing each as it is accepted. */
  private static void stream(SharedObject obj, int index, BufferedReader in) throws Exception {
    Thread stopper =
        new Thread(
            () -> {
              try {
                in.readLine();
              } catch (java.io.IOException e) {
                // stop anyway
              }
            });
    stopper.start();
    int accepted = 0;
    while (stopper.isAlive()) {
      Patched p = obj.patch(Update.of().inc("c.p" + index, 1)).get();
      accepted++;
      ObjectNode c = (ObjectNode) p.state().get("c");
      System.out.println(
          "ok %d %d %s %d"
              .formatted(
                  p.version(), c.get("p" + index).asLong(), obj.isHost(), System.nanoTime()));
      System.out.flush();
    }
    System.out.println("stopped " + accepted);
    System.out.flush();
  }
}
