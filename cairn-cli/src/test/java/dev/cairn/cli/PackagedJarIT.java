package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runnable jar that {@code ./cairn} runs, as a user runs it. */
class PackagedJarIT {
  @TempDir Path dir;

  private record Run(int code, String out) {}

  private Run cairn(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(System.getProperty("cairn.jar"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished: %s", out).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void theDemoRunsAndLosesNoUpdate() throws Exception {
    Run demo =
        cairn("demo", "--workers", "3", "--updates", "30", "--dir", dir.resolve("demo").toString());

    assertThat(demo.code()).as(demo.out()).isZero();
    assertThat(demo.out())
        .contains("counters: [90, 90, 90, 90]; expected 90 each: no update lost.")
        .contains("conflicts: []");
  }

  @Test
  void theJarFindsItsBackendsAndReportsErrorsWithExitCodes() throws Exception {
    String store = dir.resolve("store").toString();
    assertThat(cairn("--store", store, "put", "a", "{\"v\":1}").code()).isZero();
    Run get = cairn("--store", store, "get", "a");
    assertThat(get.out()).contains("\"v\":1");
    assertThat(cairn("--store", "mem:", "ls").code()).isZero();
    Run missing = cairn("--store", store, "get", "nobody");
    assertThat(missing.code()).isEqualTo(3);
    assertThat(missing.out()).contains("cairn: document 'nobody' does not exist");
    assertThat(cairn("--help").out()).contains("Exit codes:");
  }
}
