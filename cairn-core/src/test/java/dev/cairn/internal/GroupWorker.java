package dev.cairn.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A process of {@code AppendQueueCrashTest}: {@code appender DIR} takes the write lock and appends
 * the group another process posts (halting where {@code cairn.test.crashAt} says); {@code writer
 * DIR KEY} opens the store, waits for a line, appends one entry, durably, and prints its sequence
 * number.
 */
public final class GroupWorker {
  private GroupWorker() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    FileLog log = FileLog.acquire(dir, true);
    if (args[0].equals("appender")) {
      log.appendPostedGroup(
          () -> {
            System.out.println("holding");
            System.out.flush();
          });
      System.out.println("appended");
    } else {
      System.out.println("open"); // the appender takes the write lock, which opening needs
      System.out.flush();
      new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))
          .readLine();
      long seq = log.append(args[2], 0, List.of(args[2].getBytes(StandardCharsets.UTF_8)), true);
      System.out.println("seq " + seq);
    }
    System.out.flush();
    log.release();
  }
}
