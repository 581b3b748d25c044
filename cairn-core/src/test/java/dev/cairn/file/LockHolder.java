package dev.cairn.file;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A process that holds a store's write lock, or its compaction lock, until it reads a line: {@code
 * LockHolder DIR write|compact}.
 */
public final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws Exception {
    FileLog log = FileLog.acquire(Path.of(args[0]), false);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    log.holdLock(
        args.length > 1 && args[1].equals("compact"),
        () -> {
          System.out.println("holding");
          System.out.flush();
          try {
            in.readLine();
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        });
    log.release();
  }
}
