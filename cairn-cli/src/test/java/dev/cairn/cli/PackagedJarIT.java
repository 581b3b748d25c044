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

  record Run(int code, String out) {}

  /** The command that starts {@code cairn}: the runnable jar. */
  List<String> launcher() throws IOException {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar",
        System.getProperty("cairn.jar"));
  }

  Run cairn(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(launcher());
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

  @Test
  void theJarServesANodeWhoseTableCreatesUsersOnlyForTheAdmin() throws Exception {
    assertThat(cairn("serve", "--help").out())
        .contains("--table=URL")
        .contains("CAIRN_ADMIN_TOKEN");
    List<String> command = new ArrayList<>(launcher());
    command.addAll(List.of("serve", "--port", "0", "--data", dir.resolve("node").toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("CAIRN_ADMIN_TOKEN", "the-admin-token");
    pb.environment().put("CAIRN_HASH_ITERATIONS", "1000");
    Process node = pb.start();
    try {
      var lines =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
      assertThat(lines.readLine()).isEqualTo("cairn node: data in " + dir.resolve("node"));
      String line = lines.readLine();
      assertThat(line).startsWith("cairn node listening on http://127.0.0.1:");
      String url = line.substring(line.indexOf("http://"));
      var http = java.net.http.HttpClient.newHttpClient();
      String body = "{\"user\":\"ann\",\"secret\":\"a-long-secret-here\"}";
      java.util.function.Function<String, Integer> create =
          token -> {
            try {
              return http.send(
                      java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/users"))
                          .header("Authorization", "Bearer " + token)
                          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                          .build(),
                      java.net.http.HttpResponse.BodyHandlers.ofString())
                  .statusCode();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          };
      assertThat(create.apply("wrong")).isEqualTo(401);
      assertThat(create.apply("the-admin-token")).isEqualTo(201);
      assertThat(create.apply("the-admin-token")).isEqualTo(409);
    } finally {
      node.destroy();
      assertThat(node.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }
  }
}
