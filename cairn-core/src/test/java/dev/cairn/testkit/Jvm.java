package dev.cairn.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A separate JVM running a class of the test class path, with its output read line by line. */
public final class Jvm implements AutoCloseable {
  private static final String EOF = "\u0000eof";
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();

  private Jvm(Process process) {
    this.process = process;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process was killed: what it printed before is in the queue
              } finally {
                lines.add(EOF);
              }
            },
            "jvm-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code main} in a new JVM with this JVM's class path. */
  public static Jvm start(Class<?> main, String... args) throws IOException {
    return start(java.util.Map.of(), main, args);
  }

  /** Starts {@code main} in a new JVM with this JVM's class path and {@code env} added. */
  public static Jvm start(java.util.Map<String, String> env, Class<?> main, String... args)
      throws IOException {
    return start(List.of("-Xmx256m"), env, main, args);
  }

  /** Starts {@code main} in a new JVM with these options (a heap size, say), and {@code env}. */
  public static Jvm start(
      List<String> options, java.util.Map<String, String> env, Class<?> main, String... args)
      throws IOException {
    return start(options, env, System.getProperty("java.class.path"), main, args);
  }

  /** Starts {@code main} in a new JVM with this class path (this one's, less a library, say). */
  public static Jvm start(
      List<String> options,
      java.util.Map<String, String> env,
      String classPath,
      Class<?> main,
      String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(options);
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(classPath);
    command.add(main.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new Jvm(pb.start());
  }

  /** Waits for a line matching {@code wanted}; fails at the deadline or if the process ends. */
  public String await(Predicate<String> wanted, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      long left = Duration.between(Instant.now(), deadline).toMillis();
      String line = left <= 0 ? null : lines.poll(left, TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new AssertionError("no matching line within " + timeout + "; saw " + tail());
      }
      if (line.equals(EOF)) {
        lines.add(EOF);
        throw new AssertionError("process ended without a matching line; saw " + tail());
      }
      seen.add(line);
      if (wanted.test(line)) {
        return line;
      }
    }
  }

  /** Every line the process printed, once its output has ended (after exit or kill). */
  public List<String> allLines(Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      long left = Duration.between(Instant.now(), deadline).toMillis();
      String line = left <= 0 ? null : lines.poll(left, TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new AssertionError("output did not end within " + timeout);
      }
      if (line.equals(EOF)) {
        lines.add(EOF);
        return seen;
      }
      seen.add(line);
    }
  }

  /** Writes a line to the process's standard input. */
  public void send(String line) throws IOException {
    process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().flush();
  }

  /** Sends SIGKILL and waits for the process to be gone. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("process did not die");
    }
  }

  /** Waits for a normal exit and returns the exit code. */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("process did not exit within " + timeout + "; saw " + tail());
    }
    return process.exitValue();
  }

  private String tail() {
    return seen.subList(Math.max(0, seen.size() - 5), seen.size()).toString();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
