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
    return cairn(java.util.Map.of(), "", args);
  }

  /** Runs the jar with these environment variables added and {@code stdin} as its input. */
  Run cairn(java.util.Map<String, String> env, String stdin, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(launcher());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    try (var in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished: %s", out).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void theReadmesShellExamplesRunAsTheyStand() throws Exception {
    String readme = java.nio.file.Files.readString(Path.of("../README.md"));
    int start = readme.indexOf("```sh\n", readme.indexOf("## And from the shell")) + 6;
    String script = readme.substring(start, readme.indexOf("```", start));
    Path work = java.nio.file.Files.createDirectories(dir.resolve("shell"));
    StringBuilder exec = new StringBuilder("#!/bin/sh\nexec");
    for (String part : launcher()) {
      exec.append(" '").append(part).append('\'');
    }
    Path cairn = java.nio.file.Files.writeString(work.resolve("cairn"), exec + " \"$@\"\n");
    assertThat(cairn.toFile().setExecutable(true)).isTrue();

    ProcessBuilder pb =
        new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", script)
            .directory(work.toFile())
            .redirectErrorStream(true);
    pb.environment().remove("CAIRN_STORE");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();

    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .containsPattern("\\{\"_id\":\"alice\",\"_rev\":\"2-[0-9a-f]{32}\"}")
        .contains("\"email\":\"alice@example.org\",\"logins\":1")
        .contains("{\"version\":1,\"state\":{\"theme\":\"dark\"}}")
        .containsPattern("\"seq\":3,\"id\":\"alice\",\"rev\":\"3-");
    assertThat(java.nio.file.Files.readAllLines(work.resolve("backup.jsonl")))
        .filteredOn(line -> line.contains("\"_id\":\"alice\""))
        .hasSize(3);
  }

  @Test
  void theDemoShowsAllFourAndLosesNothing() throws Exception {
    Run demo =
        cairn("demo", "--workers", "3", "--updates", "30", "--dir", dir.resolve("demo").toString());

    assertThat(demo.code()).as(demo.out()).isZero();
    assertThat(demo.out())
        .contains("counters: [90, 90, 90, 90]; expected 90 each: no update lost.")
        .contains("visits: 90; expected 90: no update lost;")
        .contains("conflicts: []")
        .contains("killed after")
        .contains("every accepted patch is there")
        .contains("the laptop's 6: both hold every operation.")
        .contains("Every figure is exact");
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

  /** {@code cairn user} and {@code cairn session} against the node at {@code url}. */
  private void administerWithoutCurl(String url) throws Exception {
    var admin = java.util.Map.of("CAIRN_ADMIN_TOKEN", "the-admin-token", "CAIRN_NODE", url);
    Run added = cairn(admin, "bob-has-a-long-secret\n", "user", "add", "bob");
    assertThat(added.code()).as(added.out()).isZero();
    assertThat(cairn(admin, "bob-has-a-long-secret\n", "user", "add", "bob").code())
        .isEqualTo(Main.CONFLICT);
    var wrongAdmin = java.util.Map.of("CAIRN_ADMIN_TOKEN", "wrong", "CAIRN_NODE", url);
    Run refused = cairn(wrongAdmin, "", "user", "list");
    assertThat(refused.code()).isEqualTo(Main.INVALID);
    assertThat(refused.out()).contains("answered 401");
    Run list = cairn(admin, "", "user", "list");
    assertThat(list.out().lines().map(l -> l.replaceAll(",\"created\":\"[^\"]+\"", "")))
        .containsExactly("{\"user\":\"ann\"}", "{\"user\":\"bob\"}");

    // a session opened from the command line reads and writes the user's channel
    Run badSecret =
        cairn(java.util.Map.of(), "wrong-secret-here\n", "session", "open", "bob", "--node", url);
    assertThat(badSecret.code()).isEqualTo(Main.INVALID);
    Run opened =
        cairn(
            java.util.Map.of(), "bob-has-a-long-secret\n", "session", "open", "bob", "--node", url);
    assertThat(opened.code()).as(opened.out()).isZero();
    String token = dev.cairn.json.Json.parseObject(opened.out().strip()).get("token").asText();
    String store = url.replace("http://", "cairn+http://token:" + token + "@");
    Run pushed = cairn("--store", store, "oplog", "push", "ch", "counter", "n", "3");
    assertThat(pushed.code()).as(pushed.out()).isZero();

    // the same channel found through the table: mounted on the node, read with --table
    java.net.http.HttpResponse<String> mounted =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/mounts/ch"))
                    .header("Authorization", "Bearer " + token)
                    .PUT(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"stores\":[\"" + url + "\"]}"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(mounted.statusCode()).as(mounted.body()).isEqualTo(200);
    Run viaTable =
        cairn(
            java.util.Map.of("CAIRN_TOKEN", token),
            "",
            "oplog",
            "--table",
            url,
            "get",
            "ch",
            "counter",
            "n");
    assertThat(viaTable.code()).as(viaTable.out()).isZero();
    assertThat(viaTable.out().strip()).isEqualTo("3");
    assertThat(cairn("oplog", "--table", url, "get", "ch", "counter", "n").code())
        .as("no token")
        .isEqualTo(Main.INVALID);

    Run revoked =
        cairn(java.util.Map.of("CAIRN_TOKEN", token), "", "session", "revoke", "--node", url);
    assertThat(revoked.code()).as(revoked.out()).isZero();
    assertThat(cairn("--store", store, "oplog", "get", "ch", "counter", "n").code())
        .isEqualTo(Main.INVALID);

    // removing a user refuses its live sessions at once, and they stay refused if it returns
    String again =
        dev.cairn.json.Json.parseObject(
                cairn(
                        java.util.Map.of(),
                        "bob-has-a-long-secret\n",
                        "session",
                        "open",
                        "bob",
                        "--node",
                        url)
                    .out()
                    .strip())
            .get("token")
            .asText();
    String storeAgain = url.replace("http://", "cairn+http://token:" + again + "@");
    assertThat(cairn("--store", storeAgain, "oplog", "get", "ch", "counter", "n").out())
        .contains("3");
    assertThat(cairn(admin, "", "user", "remove", "bob").code()).isZero();
    assertThat(cairn(admin, "", "user", "remove", "bob").code()).isEqualTo(Main.NOT_FOUND);
    assertThat(cairn("--store", storeAgain, "oplog", "get", "ch", "counter", "n").code())
        .isEqualTo(Main.INVALID);
    assertThat(cairn(admin, "bob-has-a-long-secret\n", "user", "add", "bob").code()).isZero();
    assertThat(cairn("--store", storeAgain, "oplog", "get", "ch", "counter", "n").code())
        .isEqualTo(Main.INVALID);
    Run noNode =
        cairn(java.util.Map.of("CAIRN_ADMIN_TOKEN", "the-admin-token"), "", "user", "list");
    assertThat(noNode.code()).isEqualTo(Main.INVALID);
    assertThat(noNode.out()).contains("no node: give --node URL or set $CAIRN_NODE");
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
      administerWithoutCurl(url);
    } finally {
      node.destroy();
      assertThat(node.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }
  }
}
