package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.Jvm;
import dev.cairn.internal.Json;
import dev.cairn.oplog.OplogClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real node processes on loopback ports: a table node, and two store nodes that ask it about every
 * token. Users, sessions, isolation, refusals, and oplogs kept in the nodes' stores.
 */
class NodeTest {
  private static final String ADMIN = "admin-token-for-tests";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir static Path dir;
  private static final List<Jvm> nodes = new ArrayList<>();
  private static String table;
  private static String store1;
  private static String store2;

  private static String startNode(String name, String tableUrl) throws Exception {
    List<String> args = new ArrayList<>(List.of(dir.resolve(name).toString(), "0"));
    if (tableUrl != null) {
      args.add(tableUrl);
    }
    Jvm node =
        Jvm.start(
            Map.of("CAIRN_ADMIN_TOKEN", ADMIN, "CAIRN_HASH_ITERATIONS", "1000"),
            NodeMain.class,
            args.toArray(String[]::new));
    nodes.add(node);
    String line = node.await(l -> l.startsWith("listening "), WAIT);
    return "http://127.0.0.1:" + line.substring("listening ".length());
  }

  @BeforeAll
  static void start() throws Exception {
    table = startNode("table", null);
    store1 = startNode("store1", table);
    store2 = startNode("store2", table);
    for (String user : List.of("alice", "bob")) {
      HttpResponse<String> r =
          call(
              "POST",
              table + "/users",
              ADMIN,
              "{\"user\":\"" + user + "\",\"secret\":\"" + user + "-long-secret\"}");
      assertThat(r.statusCode()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(Jvm::close);
  }

  private static HttpResponse<String> call(String method, String url, String token, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(WAIT);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String login(String user, long ttlSeconds) throws Exception {
    HttpResponse<String> r =
        call(
            "POST",
            table + "/sessions",
            null,
            "{\"user\":\""
                + user
                + "\",\"secret\":\""
                + user
                + "-long-secret\",\"ttlSeconds\":"
                + ttlSeconds
                + "}");
    assertThat(r.statusCode()).isEqualTo(201);
    return Json.MAPPER.readTree(r.body()).get("token").asText();
  }

  private static String location(String node, String token) {
    return node.replace("http://", "cairn+http://token:" + token + "@");
  }

  @Test
  void onlyTheAdminCreatesUsersAndAWrongSecretOpensNothing() throws Exception {
    assertThat(
            call(
                    "POST",
                    table + "/users",
                    "guess",
                    "{\"user\":\"eve\",\"secret\":\"eve-long-secret\"}")
                .statusCode())
        .isEqualTo(401);
    assertThat(
            call(
                    "POST",
                    table + "/users",
                    null,
                    "{\"user\":\"eve\",\"secret\":\"eve-long-secret\"}")
                .statusCode())
        .isEqualTo(401);
    HttpResponse<String> wrong =
        call(
            "POST",
            table + "/sessions",
            null,
            "{\"user\":\"alice\",\"secret\":\"not-her-secret\"}");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).doesNotContain("not-her-secret");
  }

  @Test
  void aTokenIsCheckedFirstAndABadOneNeverBlocksAGoodOne() throws Exception {
    String token = login("alice", 3600);
    for (String bad : new String[] {null, "", "garbage", "x".repeat(500)}) {
      assertThat(call("GET", store1 + "/store/keys", bad, null).statusCode()).isEqualTo(401);
      assertThat(
              call("POST", store1 + "/store/logs?key=k", bad, "{\"payloads\":[\"AQI=\"]}")
                  .statusCode())
          .isEqualTo(401);
      assertThat(call("GET", store1 + "/store/keys", token, null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void expiredAndRevokedTokensAreRefusedByEveryStore() throws Exception {
    String brief = login("alice", 1);
    assertThat(call("GET", store1 + "/store/keys", brief, null).statusCode()).isEqualTo(200);
    await()
        .atMost(WAIT)
        .until(() -> call("GET", store1 + "/store/keys", brief, null).statusCode() == 401);
    assertThat(call("GET", store2 + "/store/keys", brief, null).statusCode()).isEqualTo(401);

    String token = login("alice", 3600);
    assertThat(call("GET", store2 + "/store/keys", token, null).statusCode()).isEqualTo(200);
    assertThat(call("DELETE", table + "/sessions", token, null).statusCode()).isEqualTo(200);
    for (String store : List.of(store1, store2)) {
      assertThat(call("GET", store + "/store/keys", token, null).statusCode()).isEqualTo(401);
    }
  }

  @Test
  void aUserNeverReachesAnotherUsersDataWhateverTheKeySays() throws Exception {
    String alice = login("alice", 3600);
    String bob = login("bob", 3600);
    assertThat(
            call("POST", store1 + "/store/logs?key=secret-log", alice, "{\"payloads\":[\"AQI=\"]}")
                .statusCode())
        .isEqualTo(200);
    for (String key :
        List.of("secret-log", "../alice/secret-log", "u/alice/secret-log", "/u/alice/secret-log")) {
      JsonNode read =
          Json.MAPPER.readTree(
              call(
                      "GET",
                      store1 + "/store/logs?key=" + java.net.URLEncoder.encode(key, "UTF-8"),
                      bob,
                      null)
                  .body());
      assertThat(read.get("entries")).as(key).isEmpty();
    }
    assertThat(Json.MAPPER.readTree(call("GET", store1 + "/store/keys", bob, null).body()))
        .isEmpty();
    assertThat(
            Json.MAPPER
                .readTree(call("GET", store1 + "/store/changes?since=0", bob, null).body())
                .get("entries"))
        .isEmpty();
    assertThat(
            Json.MAPPER
                .readTree(call("GET", store1 + "/store/keys", alice, null).body())
                .toString())
        .contains("secret-log");
  }

  @Test
  void malformedRequestsGetA400WithAClearMessage() throws Exception {
    String token = login("alice", 3600);
    HttpResponse<String> notJson = call("POST", store1 + "/store/logs?key=k", token, "not json");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("not valid JSON");
    HttpResponse<String> notBase64 =
        call("POST", store1 + "/store/logs?key=k", token, "{\"payloads\":[\"%%%\"]}");
    assertThat(notBase64.statusCode()).isEqualTo(400);
    assertThat(notBase64.body()).contains("base64");
    assertThat(call("GET", store1 + "/store/logs", token, null).statusCode()).isEqualTo(400);
    assertThat(call("GET", store1 + "/store/logs?key=k&after=x", token, null).statusCode())
        .isEqualTo(400);
    assertThat(call("PUT", table + "/mounts/core", token, "{\"stores\": 3}").statusCode())
        .isEqualTo(400);
  }

  @Test
  void clientsOfAChannelOnTwoNodesConverge() throws Exception {
    String a = login("alice", 3600);
    String b = login("alice", 3600);
    assertThat(
            call(
                    "PUT",
                    table + "/mounts/core",
                    a,
                    "{\"stores\":[\"" + store1 + "\",\"" + store2 + "\"]}")
                .statusCode())
        .isEqualTo(200);
    try (OplogClient one =
            OplogClient.builder()
                .channel(
                    "core",
                    location(store1, a),
                    location(store2, a),
                    dir.resolve("local-a").toString())
                .syncInterval(Duration.ofMillis(50))
                .pruneAfter(20)
                .open();
        OplogClient two =
            OplogClient.builder()
                .channel("core", location(store1, b), location(store2, b))
                .syncInterval(Duration.ofMillis(50))
                .pruneAfter(20)
                .open()) {
      for (int i = 0; i < 30; i++) {
        one.push("core", "counter", "n", 1);
        two.push("core", "counter", "n", 2);
      }
      await().atMost(WAIT).until(() -> one.get("core", "counter", "n").asLong() == 90);
      await().atMost(WAIT).until(() -> two.get("core", "counter", "n").asLong() == 90);
    }
    // each node holds it all
    String c = login("alice", 3600);
    for (String store : List.of(store1, store2)) {
      try (OplogClient reader =
          OplogClient.builder().channel("core", location(store, c)).pruneAfter(0).open()) {
        assertThat(reader.get("core", "counter", "n").asLong()).isEqualTo(90);
      }
    }
  }

  @Test
  void aPushOrReadWithAWrongTokenOrNoNodeFailsAndNamesTheStore() throws Exception {
    try (OplogClient wrong =
        OplogClient.builder()
            .channel("core", location(store1, "not-a-token"))
            .pushTimeout(Duration.ofSeconds(10))
            .open()) {
      assertThatThrownBy(() -> wrong.push("core", "counter", "n", 1))
          .isInstanceOf(dev.cairn.AccessDeniedException.class)
          .hasMessageContaining("refused the token")
          .hasMessageContaining(store1.replace("http://", ""))
          .hasMessageNotContaining("not-a-token");
      assertThatThrownBy(() -> wrong.get("core", "counter", "n"))
          .isInstanceOf(dev.cairn.InvalidLocationException.class);
    }
    String token = login("alice", 3600);
    String nowhere = "http://127.0.0.1:" + freePort();
    try (OplogClient away =
        OplogClient.builder()
            .channel("core", location(nowhere, token))
            .pushTimeout(Duration.ofSeconds(10))
            .open()) {
      assertThatThrownBy(() -> away.get("core", "counter", "n"))
          .isInstanceOf(dev.cairn.UnavailableException.class)
          .hasMessageContaining("connection refused")
          .hasMessageNotContaining(token);
    }
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void theStreamPushesAUsersOperationsAsTheyArriveAndNoOneElses() throws Exception {
    String alice = login("alice", 3600);
    String bob = login("bob", 3600);
    assertThat(call("GET", store2 + "/store/stream", "bad", null).statusCode()).isEqualTo(401);
    java.util.concurrent.BlockingQueue<String> lines =
        new java.util.concurrent.LinkedBlockingQueue<>();
    var response =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(store2 + "/store/stream"))
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + alice)
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    Thread reader =
        new Thread(
            () -> {
              try {
                response.get().body().forEach(lines::add);
              } catch (Exception e) {
                lines.add("closed " + e);
              }
            });
    reader.setDaemon(true);
    reader.start();
    String first;
    do {
      first = lines.poll(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(first).as("the stream opened").isNotNull();
    } while (!first.equals("event: ready"));
    String bobs = java.util.Base64.getEncoder().encodeToString("bob's own".getBytes());
    String alices = java.util.Base64.getEncoder().encodeToString("alice's own".getBytes());
    call("POST", store2 + "/store/logs?key=shared-name", bob, "{\"payloads\":[\"" + bobs + "\"]}");
    call(
        "POST",
        store2 + "/store/logs?key=shared-name",
        alice,
        "{\"payloads\":[\"" + alices + "\"]}");
    List<String> seen = new ArrayList<>();
    while (seen.stream().noneMatch(l -> l.contains(alices))) {
      String line = lines.poll(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(line).as("alice's append streamed; saw %s", seen).isNotNull();
      seen.add(line);
    }
    assertThat(seen).noneMatch(l -> l.contains(bobs));
    assertThat(String.join("\n", seen)).contains("event: append").contains("shared-name");
    response.cancel(true);
  }
}
