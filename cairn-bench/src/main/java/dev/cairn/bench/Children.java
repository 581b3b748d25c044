package dev.cairn.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The child JVMs of a driver: started on this JVM's class path, their output read by line. */
final class Children {
  private Children() {}

  /** Starts {@code main} with {@code args} (each as its string) in a new JVM; stderr is ours. */
  static Process start(Class<?> main, Object... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    Arrays.stream(args).map(String::valueOf).forEach(command::add);
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  static BufferedReader output(Process child) {
    return new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
  }

  /** The children's outputs, once each has said "ready". */
  static List<BufferedReader> awaitReady(List<Process> children) throws IOException {
    List<BufferedReader> outs = new ArrayList<>();
    for (Process c : children) {
      BufferedReader out = output(c);
      String ready = out.readLine();
      if (!"ready".equals(ready)) {
        throw new IllegalStateException("child said " + ready);
      }
      outs.add(out);
    }
    return outs;
  }
}
