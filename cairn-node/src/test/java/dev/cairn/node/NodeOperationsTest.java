package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators and tools ask a node: health for probes, metrics for scrapers, the OpenAPI
 * description for client generators (checked against the routes the node really serves), and JSON
 * answers for paths it does not serve. Nodes run in this JVM, reached over real HTTP.
 */
class NodeOperationsTest {
  private static final String ADMIN = "admin-token-for-tests";
  private static final HttpClient HTTP = NodeHttp.HTTP;
  @TempDir Path dir;
  private final List<Node> nodes = new ArrayList<>();

  private Node start(String name, String tableUrl) {
    return start(name, tableUrl, 0);
  }

  private Node start(String name, String tableUrl, int port) {
    return start(name, "127.0.0.1", port, tableUrl, null);
  }

  private Node start(String name, String host, int port, String tableUrl, String publicUrl) {
    Node node =
        new Node(
            new Node.Config(
                dir.resolve(name),
                host,
                port,
                tableUrl,
                ADMIN,
                1000,
                null,
                new char[0],
                Duration.ofMinutes(10),
                publicUrl));
    nodes.add(node);
    return node;
  }

  private static String url(Node node) {
    return "http://127.0.0.1:" + node.port();
  }

  @AfterEach
  void stop() {
    nodes.forEach(Node::close);
  }

  private static HttpResponse<String> call(String method, String url, String token, String body)
      throws Exception {
    return NodeHttp.call(method, url, token, body);
  }

  private static String login(String table, String user) throws Exception {
    assertThat(
            call(
                    "POST",
                    table + "/users",
                    ADMIN,
                    "{\"user\":\"" + user + "\",\"secret\":\"" + user + "-long-secret\"}")
                .statusCode())
        .isEqualTo(201);
    HttpResponse<String> r =
        call(
            "POST",
            table + "/sessions",
            null,
            "{\"user\":\"" + user + "\",\"secret\":\"" + user + "-long-secret\"}");
    assertThat(r.statusCode()).isEqualTo(201);
    return Json.MAPPER.readTree(r.body()).get("token").asText();
  }

  private static void mount(String table, String session, String channel, String... stores)
      throws Exception {
    String list =
        java.util.Arrays.stream(stores)
            .map(st -> "\"" + st + "\"")
            .collect(java.util.stream.Collectors.joining(","));
    HttpResponse<String> r =
        call("PUT", table + "/mounts/" + channel, session, "{\"stores\":[" + list + "]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** The counter "n" of channel "team" as the node's store alone holds it for the session. */
  private static long counterAt(Node node, String table, String session) {
    String location =
        "cairn+http://token:" + session + "@127.0.0.1:" + node.port() + "?table=" + table;
    try (dev.cairn.oplog.StoredChannels channels = dev.cairn.oplog.StoredChannels.open(location)) {
      return channels
          .read("team", "counter", "n")
          .value(dev.cairn.oplog.Reducers.builtIn("counter").orElseThrow())
          .asLong();
    }
  }

  @Test
  void aClientFindsItsChannelsInTheTableFollowsItsMountsAndWorksOfflineFromItsLocalTable()
      throws Exception {
    Node first = start("first", null);
    String table = url(first);
    String session = login(table, "ann");
    Node second = start("second", table);
    mount(table, session, "team", url(first));
    String local = dir.resolve("local").toString();
    try (dev.cairn.oplog.OplogClient client =
        dev.cairn.oplog.OplogClient.builder()
            .table(table, session)
            .channel("team", local) // the local table: the channel in a directory too
            .syncInterval(Duration.ofMillis(100))
            .pruneAfter(0)
            .open()) {
      assertThat(client.push("team", "counter", "n", 5).asLong()).isEqualTo(5);
      assertThat(client.flush(Duration.ofSeconds(20))).isTrue();
      assertThat(counterAt(first, table, session)).isEqualTo(5);

      mount(table, session, "team", url(first), url(second)); // a store joins the mount
      await().atMost(Duration.ofSeconds(20)).until(() -> counterAt(second, table, session) == 5);

      assertThat(client.storesOf("team"))
          .hasSize(3)
          .allSatisfy(l -> assertThat(l).doesNotContain(session));
      mount(table, session, "team", url(second)); // and the first leaves it
      await().atMost(Duration.ofSeconds(20)).until(() -> client.storesOf("team").size() == 2);
      assertThat(client.storesOf("team").get(0)).contains(":" + second.port());
      assertThat(client.push("team", "counter", "n", 1).asLong()).isEqualTo(6);
      assertThat(client.flush(Duration.ofSeconds(20))).isTrue();
      assertThat(counterAt(second, table, session)).isEqualTo(6);
      assertThat(counterAt(first, table, session)).as("left the mount").isEqualTo(5);
      assertThat(client.tableFailure()).isEmpty();
    }

    // the table cannot be reached: the local table alone, and what it holds
    int nowhere;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      nowhere = free.getLocalPort();
    }
    try (dev.cairn.oplog.OplogClient offline =
        dev.cairn.oplog.OplogClient.builder()
            .table("http://127.0.0.1:" + nowhere, session)
            .channel("team", local)
            .pruneAfter(0)
            .open()) {
      assertThat(offline.tableFailure())
          .hasValueSatisfying(why -> assertThat(why).contains("did not answer"));
      assertThat(offline.push("team", "counter", "n", 2).asLong()).isEqualTo(8);
    }
  }

  @Test
  void aClientOpenedOfflineTakesTheMountedStoresWhenTheTableAnswersAndDeliversWhatItPushed()
      throws Exception {
    Node node = start("node", null);
    int port = node.port();
    String table = url(node);
    String session = login(table, "ann");
    mount(table, session, "team", table);
    node.close(); // the table goes away
    nodes.remove(node);
    try (dev.cairn.oplog.OplogClient client =
        dev.cairn.oplog.OplogClient.builder()
            .table(table, session)
            .channel("team", dir.resolve("laptop").toString())
            .syncInterval(Duration.ofMillis(100))
            .pruneAfter(0)
            .open()) {
      assertThat(client.tableFailure()).isPresent();
      assertThat(client.storesOf("team")).hasSize(1); // the local table alone
      assertThat(client.push("team", "counter", "n", 4).asLong()).isEqualTo(4);

      Node back = start("node", "127.0.0.1", port, null, null); // the same table, again
      await().atMost(Duration.ofSeconds(20)).until(() -> client.storesOf("team").size() == 2);
      assertThat(client.tableFailure()).isEmpty();
      await().atMost(Duration.ofSeconds(20)).until(() -> counterAt(back, table, session) == 4);
    }
  }

  @Test
  void clientsWithDifferentLocalTablesPruneIntoOneChainOfCheckpoints() throws Exception {
    Node first = start("first", null);
    String table = url(first);
    String session = login(table, "ann");
    Node second = start("second", table);
    mount(table, session, "team", url(first), url(second)); // the mount's first decides
    List<dev.cairn.oplog.OplogClient> clients = new ArrayList<>();
    try {
      for (String local : List.of("x", "y", "z")) {
        clients.add(
            dev.cairn.oplog.OplogClient.builder()
                .table(table, session)
                .channel("team", dir.resolve(local).toString()) // each its own local table
                .syncInterval(Duration.ofMillis(50))
                .pruneAfter(2)
                .open());
      }
      List<Thread> writers = new ArrayList<>();
      for (dev.cairn.oplog.OplogClient c : clients) {
        writers.add(
            new Thread(
                () -> {
                  for (int i = 0; i < 60; i++) {
                    c.push("team", "counter", "n", 1);
                  }
                }));
      }
      writers.forEach(Thread::start);
      for (Thread t : writers) {
        t.join();
      }
      for (dev.cairn.oplog.OplogClient c : clients) {
        assertThat(c.flush(Duration.ofSeconds(30))).isTrue();
      }
    } finally {
      clients.forEach(dev.cairn.oplog.OplogClient::close);
    }
    for (Node node : List.of(first, second)) {
      String location =
          "cairn+http://token:" + session + "@127.0.0.1:" + node.port() + "?table=" + table;
      try (dev.cairn.oplog.StoredChannels channels =
          dev.cairn.oplog.StoredChannels.open(location)) {
        dev.cairn.oplog.StoredLog log = channels.read("team", "counter", "n");
        assertThat(log.value(dev.cairn.oplog.Reducers.builtIn("counter").orElseThrow()).asLong())
            .isEqualTo(180);
        List<dev.cairn.oplog.Checkpoint> cps = log.checkpoints();
        assertThat(cps).isNotEmpty();
        for (dev.cairn.oplog.Checkpoint a : cps) {
          for (dev.cairn.oplog.Checkpoint b : cps) {
            assertThat(covers(a, b) || covers(b, a))
                .as("checkpoints %s and %s are one chain", a.covers(), b.covers())
                .isTrue();
          }
        }
      }
    }
  }

  /** Whether checkpoint {@code a} folds in every operation {@code b} does. */
  private static boolean covers(dev.cairn.oplog.Checkpoint a, dev.cairn.oplog.Checkpoint b) {
    return b.covers().entrySet().stream()
        .allMatch(e -> a.covers().getOrDefault(e.getKey(), 0L) >= e.getValue());
  }

  @Test
  void aNodeOnEveryInterfaceTakesTheStoreTokensOfItsPublicUrl() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Node anywhere = start("anywhere", "0.0.0.0", port, null, null);
    String session = login(url(anywhere), "ann");
    String location = "cairn+http://token:" + session + "@127.0.0.1:" + port;
    try (dev.cairn.spi.Backend store =
        dev.cairn.engine.Backends.open(
            location, new dev.cairn.spi.BackendOptions(dev.cairn.Durability.SYNC))) {
      // it takes tokens for http://0.0.0.0:PORT, which no client dials: refused, and said so
      assertThatThrownBy(store::keys)
          .isInstanceOf(dev.cairn.AccessDeniedException.class)
          .hasMessageContaining("refused the token");
    }
    anywhere.close();
    nodes.remove(anywhere);

    start("anywhere", "0.0.0.0", port, null, "http://127.0.0.1:" + port);
    try (dev.cairn.spi.Backend store =
        dev.cairn.engine.Backends.open(
            location, new dev.cairn.spi.BackendOptions(dev.cairn.Durability.SYNC))) {
      store.append("k", dev.cairn.spi.Backend.ANY_HEAD, List.of(new byte[] {1}));
      assertThat(store.keys()).containsExactly("k");
    }
  }

  @Test
  void aClientAsksTheTableForANewStoreTokenWhenTheStoreRefusesItsOwn() throws Exception {
    Node node = start("node", null);
    int port = node.port();
    String session = login(url(node), "ann");
    String location = "cairn+http://token:" + session + "@127.0.0.1:" + port;
    try (dev.cairn.spi.Backend store =
        dev.cairn.engine.Backends.open(
            location, new dev.cairn.spi.BackendOptions(dev.cairn.Durability.SYNC))) {
      store.append("k", dev.cairn.spi.Backend.ANY_HEAD, List.of(new byte[] {1}));
      // the table draws a new key: every store token issued so far is refused
      node.close();
      nodes.remove(node);
      try (dev.cairn.DocumentStore table = dev.cairn.Cairn.open(dir.resolve("node/table"))) {
        table.delete("secret:store-tokens");
      }
      start("node", null, port);

      store.append("k", dev.cairn.spi.Backend.ANY_HEAD, List.of(new byte[] {2}));

      assertThat(store.read("k", 0)).hasSize(2);
    }
  }

  @Test
  void healthSaysWhetherTheTableAndTheStoreAnswerAndLivenessOnlyThatTheNodeServes()
      throws Exception {
    Node table = start("table", null);
    Node store = start("store", url(table));

    for (Node node : List.of(table, store)) {
      for (String path : List.of("/health", "/health/ready")) {
        HttpResponse<String> r = call("GET", url(node) + path, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode health = Json.MAPPER.readTree(r.body());
        assertThat(health.get("status").asText()).isEqualTo("UP");
        assertThat(health.at("/checks/table/status").asText()).isEqualTo("UP");
        assertThat(health.at("/checks/logs/status").asText()).isEqualTo("UP");
      }
    }

    table.close(); // the store node's table is gone: it cannot check a token, so it is not ready
    for (String path : List.of("/health", "/health/ready")) {
      HttpResponse<String> r = call("GET", url(store) + path, null, null);
      assertThat(r.statusCode()).isEqualTo(503);
      JsonNode health = Json.MAPPER.readTree(r.body());
      assertThat(health.get("status").asText()).isEqualTo("DOWN");
      assertThat(health.at("/checks/table/status").asText()).isEqualTo("DOWN");
      assertThat(health.at("/checks/table/error").asText()).isEqualTo("UnavailableException");
      assertThat(health.at("/checks/logs/status").asText()).isEqualTo("UP");
      assertThat(r.body()).doesNotContain("127.0.0.1").doesNotContain(dir.toString());
    }
    HttpResponse<String> live = call("GET", url(store) + "/health/live", null, null);
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(Json.MAPPER.readTree(live.body()).get("status").asText()).isEqualTo("UP");
  }

  @Test
  void metricsCountRequestsLoginsAppendsAndStreamsWithoutNamingUsersKeysOrTokens()
      throws Exception {
    Node node = start("node", null);
    String base = url(node);
    String token = NodeHttp.storeToken(base, login(base, "ann-the-user"), base);
    assertThat(
            call(
                    "POST",
                    base + "/sessions",
                    null,
                    "{\"user\":\"ann-the-user\",\"secret\":\"wrong-secret-here\"}")
                .statusCode())
        .isEqualTo(401);
    String payload = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});
    HttpResponse<String> append =
        call(
            "POST",
            base + "/store/logs?key=secret-key-name",
            token,
            "{\"payloads\":[\"" + payload + "\",\"" + payload + "\"]}");
    assertThat(append.statusCode()).isEqualTo(200);
    assertThat(call("GET", base + "/users/nobody/nothing", null, null).statusCode()).isEqualTo(404);
    CompletableFuture<HttpResponse<Stream<String>>> stream =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(base + "/store/stream"))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> open = stream.get();
    assertThat(open.statusCode()).isEqualTo(200);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> metric(base, "cairn_node_stream_clients") == 1.0);
    String metrics = call("GET", base + "/metrics", null, null).body();
    assertThat(metrics)
        .contains(
            "cairn_node_requests_seconds_count{method=\"POST\",route=\"/store/logs\",status=\"200\"} 1")
        .contains(
            "cairn_node_requests_seconds_count{method=\"GET\",route=\"unmatched\",status=\"404\"} 1")
        .contains("cairn_node_requests_seconds_bucket{")
        .contains("cairn_node_logins_total{outcome=\"opened\"} 1")
        .contains("cairn_node_logins_total{outcome=\"refused\"} 1")
        .contains("jvm_memory_used_bytes")
        .doesNotContain("ann-the-user")
        .doesNotContain("secret-key-name")
        .doesNotContain("/users/nobody")
        .doesNotContain(token);
    assertThat(metric(base, "cairn_node_appends_total")).isEqualTo(1.0);
    assertThat(metric(base, "cairn_node_appended_entries_total")).isEqualTo(2.0);
    assertThat(metric(base, "cairn_node_sessions")).isEqualTo(1.0);

    open.body().close(); // the client goes away: the node notices at its next event or keep-alive
    stream.cancel(true);
  }

  /** One sample's value, by its whole name (no labels). */
  private static double metric(String base, String name) throws Exception {
    for (String line : call("GET", base + "/metrics", null, null).body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  @Test
  void theOpenApiDescriptionNamesExactlyTheRoutesTheNodeServes() throws Exception {
    Node node = start("node", null);
    HttpResponse<String> r = call("GET", url(node) + "/openapi.json", null, null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    JsonNode api = Json.MAPPER.readTree(r.body());
    assertThat(api.get("openapi").asText()).startsWith("3.1");

    Set<String> described = new TreeSet<>();
    api.get("paths")
        .fields()
        .forEachRemaining(
            p ->
                p.getValue()
                    .fieldNames()
                    .forEachRemaining(m -> described.add(m.toUpperCase() + " " + p.getKey())));
    assertThat(described).isEqualTo(node.routes());

    // and every described operation is served: none answers "no route", and each one that needs
    // a token refuses a request without one
    for (String operation : described) {
      String method = operation.substring(0, operation.indexOf(' '));
      String path =
          operation
              .substring(operation.indexOf(' ') + 1)
              .replace("{user}", "someone")
              .replace("{channel}", "core");
      boolean open =
          path.startsWith("/health")
              || path.equals("/metrics")
              || path.equals("/openapi.json")
              || operation.equals("POST /sessions");
      HttpResponse<String> answer =
          call(method, url(node) + path, null, method.equals("GET") ? null : "{}");
      assertThat(answer.body()).as(operation).doesNotContain("no route");
      if (!open) {
        assertThat(answer.statusCode()).as(operation).isEqualTo(401);
      }
    }
  }

  @Test
  void aPathTheNodeDoesNotServeGetsAJsonError() throws Exception {
    Node node = start("node", null);
    for (String[] request :
        new String[][] {
          {"GET", "/nope"}, {"GET", "/store"}, {"POST", "/metrics"}, {"PATCH", "/users"}
        }) {
      HttpResponse<String> r = call(request[0], url(node) + request[1], null, "{}");
      assertThat(r.statusCode()).as(request[1]).isEqualTo(404);
      assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
      assertThat(Json.MAPPER.readTree(r.body()).get("error").asText())
          .isEqualTo("no route " + request[0] + " " + request[1]);
    }
  }
}
