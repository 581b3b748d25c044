package dev.cairn.cli;

import static dev.cairn.testkit.Servers.MARIADB;
import static dev.cairn.testkit.Servers.POSTGRES;
import static dev.cairn.testkit.Servers.REDIS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.SharedObject;
import dev.cairn.WriteMode;
import dev.cairn.console.Console;
import dev.cairn.node.Node;
import dev.cairn.oplog.OplogClient;
import dev.cairn.oplog.StoredChannels;
import dev.cairn.testkit.Jvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.JedisPooled;

/**
 * The console on every backend but the directory (whose tests are in cairn-console), through its
 * HTTP API as the page uses it: on Redis, PostgreSQL and MariaDB, documents and a conflict settled
 * by a merge, a shared object patched, a channel's value, the store measured, checked and
 * compacted; on a node's store ({@code cairn+http}), which holds oplog channels only, those
 * channels.
 */
class ConsoleBackendsTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ADMIN = "console-test-admin-token";

  @TempDir Path dir;
  private final String ns = "c" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private Node node;
  private DocumentStore store;
  private Console console;

  @AfterEach
  void dropAll() {
    if (console != null) {
      console.close();
    }
    if (store != null) {
      store.close();
    }
    if (node != null) {
      node.close();
    }
    try (JedisPooled redis = new JedisPooled(URI.create(REDIS))) {
      var keys = redis.keys("cairn:" + ns + ":*");
      if (!keys.isEmpty()) {
        redis.del(keys.toArray(String[]::new));
      }
    } catch (RuntimeException e) {
      // no server: nothing was created there
    }
    for (String url : new String[] {POSTGRES, MARIADB}) {
      try {
        dev.cairn.jdbc.JdbcBackend.drop(url + "&cairn.namespace=" + ns);
      } catch (dev.cairn.CairnException e) {
        // no server: nothing was created there
      }
    }
  }

  private String location(String backend) throws Exception {
    return switch (backend) {
      case "redis" -> REDIS + "?namespace=" + ns;
      case "postgresql" -> POSTGRES + "&cairn.namespace=" + ns;
      case "mariadb" -> MARIADB + "&cairn.namespace=" + ns;
      default -> throw new IllegalArgumentException(backend);
    };
  }

  /** A node of its own (table and store in one), a user, and that user's store. */
  private String nodeStore() throws Exception {
    node =
        new Node(
            new Node.Config(
                dir.resolve("node"),
                "127.0.0.1",
                0,
                null,
                ADMIN,
                1000,
                null,
                new char[0],
                Duration.ofMinutes(10),
                null));
    String url = "http://127.0.0.1:" + node.port();
    String user = "{\"user\":\"ann\",\"secret\":\"ann-has-a-long-secret\"}";
    assertThat(send(url + "/users", "POST", ADMIN, user).statusCode()).isEqualTo(201);
    HttpResponse<String> session = send(url + "/sessions", "POST", null, user);
    String token = JSON.readTree(session.body()).get("token").asText();
    return url.replace("http://", "cairn+http://token:" + token + "@");
  }

  private static HttpResponse<String> send(String url, String method, String token, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
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

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    return send("http://127.0.0.1:" + console.port() + path, method, console.token(), body);
  }

  private JsonNode ok(String method, String path, String body) throws Exception {
    HttpResponse<String> r = call(method, path, body);
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "postgresql", "mariadb"})
  void theConsoleShowsAndChangesEveryKindOfStore(String backend) throws Exception {
    String location;
    try {
      location = location(backend);
      store = Cairn.open(location);
    } catch (dev.cairn.InvalidLocationException e) {
      throw dev.cairn.testkit.Servers.missing(backend + " missing: " + e.getMessage(), e);
    }
    String base = store.create("order", Map.of("qty", 1));
    store.update("order", base, Map.of("qty", 2));
    ObjectNode stale = store.get("order", base).orElseThrow();
    stale.put("note", "gift");
    String theirs = store.update(stale, WriteMode.KEEP_BOTH);
    store.share("counter", Map.of("n", 1)).close();
    try (OplogClient client =
        OplogClient.builder().channel("team", location).pruneAfter(0).open()) {
      client.push("team", "counter", "visits", 4);
      client.push("team", "counter", "visits", 5);
    }
    console = new Console(store, "127.0.0.1", 0);

    assertThat(ok("GET", "/api/store", null).get("documents").asInt()).isEqualTo(1);
    JsonNode doc = ok("GET", "/api/docs/order", null);
    assertThat(doc.get("conflicts")).hasSize(1);
    JsonNode merged =
        ok(
            "POST",
            "/api/docs/order/merge",
            "{\"_rev\":\"" + theirs + "\",\"qty\":2,\"note\":\"gift\"}");
    assertThat(store.conflicts("order")).isEmpty();
    assertThat(store.get("order").orElseThrow().get("_rev").asText())
        .isEqualTo(merged.get("rev").asText());

    JsonNode patched = ok("POST", "/api/shared/counter/patch", "{\"$inc\":{\"n\":2}}");
    assertThat(patched.at("/state/n").asInt()).isEqualTo(3);
    try (SharedObject counter = store.share("counter")) {
      assertThat(counter.get("n").asInt()).isEqualTo(3);
    }

    JsonNode channel = ok("GET", "/api/channels/team", null);
    assertThat(channel.at("/logs/0/path").asText()).isEqualTo("visits");
    assertThat(channel.at("/logs/0/value").asInt()).isEqualTo(9);

    JsonNode usage = ok("GET", "/api/store/usage", null);
    assertThat(usage.get("backend").asText()).isEqualTo(backend);
    assertThat(usage.get("logs").asInt()).isGreaterThanOrEqualTo(3); // order, counter, visits
    assertThat(usage.get("entries").asInt()).isGreaterThanOrEqualTo(7);
    JsonNode check = ok("GET", "/api/store/check", null);
    assertThat(check.get("sound").asBoolean()).as(check.toString()).isTrue();
    assertThat(check.get("documents").asInt()).isEqualTo(1);

    JsonNode compacted = ok("POST", "/api/store/compact", "{}");
    assertThat(compacted.at("/usage/reclaimableEntries").asInt()).isZero();
    assertThat(store.get("order").orElseThrow().get("note").asText()).isEqualTo("gift");
  }

  @Test
  void aNodesStoreShowsItsChannelsAndNothingElse() throws Exception {
    String location = nodeStore();
    try (OplogClient client =
        OplogClient.builder().channel("team", location).pruneAfter(0).open()) {
      client.push("team", "counter", "visits", 4);
      client.push("team", "register", "motto", "hi");
    }
    try (StoredChannels channels = StoredChannels.open(location)) {
      assertThat(channels.holdsDocuments()).isFalse();
      console = Console.ofChannels(channels, "127.0.0.1", 0);
      JsonNode info = ok("GET", "/api/store", null);
      assertThat(info.get("channelsOnly").asBoolean()).isTrue();
      assertThat(info.get("location").asText())
          .startsWith("cairn+http://")
          .doesNotContain(tokenOf(location));
      assertThat(ok("GET", "/api/channels", null).get("names").get(0).asText()).isEqualTo("team");
      JsonNode logs = ok("GET", "/api/channels/team", null).get("logs");
      assertThat(logs.findValuesAsText("path")).containsExactly("visits", "motto");
      assertThat(logs.get(0).get("value").asInt()).isEqualTo(4);
      assertThat(
              ok("GET", "/api/channels/team/log?type=register&path=motto", null)
                  .get("value")
                  .asText())
          .isEqualTo("hi");
      for (String path : new String[] {"/api/docs", "/api/shared", "/api/store/usage"}) {
        assertThat(call("GET", path, null).statusCode()).as(path).isEqualTo(404);
      }
    }
  }

  @Test
  void theCommandServesAStoreOrANodesChannelsAndRefusesAStoreThatIsNotThere() throws Exception {
    Path documents = dir.resolve("documents");
    try (DocumentStore s = Cairn.open(documents)) {
      s.create("a", Map.of("n", 1));
    }
    try (Jvm cairn = Jvm.start(Main.class, "--store", documents.toString(), "console")) {
      JsonNode info = storeInfo(cairn);
      assertThat(info.get("documents").asInt()).isEqualTo(1);
      assertThat(info.get("channelsOnly").asBoolean()).isFalse();
    }

    String node = nodeStore();
    try (OplogClient client = OplogClient.builder().channel("team", node).pruneAfter(0).open()) {
      client.push("team", "counter", "visits", 1);
    }
    try (Jvm cairn = Jvm.start(Main.class, "--store", node, "console")) {
      JsonNode info = storeInfo(cairn);
      assertThat(info.get("channelsOnly").asBoolean()).isTrue();
    }

    Path nothing = dir.resolve("nothing");
    try (Jvm cairn = Jvm.start(Main.class, "--store", nothing.toString(), "console")) {
      assertThat(cairn.waitFor(Duration.ofSeconds(60))).isEqualTo(Main.INVALID);
      assertThat(cairn.allLines(Duration.ofSeconds(10))).as("no address printed").isEmpty();
    }
    assertThat(nothing).doesNotExist();
  }

  /** Reads the address the command printed, and asks it for {@code /api/store} with its token. */
  private static JsonNode storeInfo(Jvm cairn) throws Exception {
    String line = cairn.await(l -> l.startsWith("cairn console of "), Duration.ofSeconds(60));
    assertThat(line).doesNotContain("token:" + "ann"); // a location's token is hidden
    String address = line.substring(line.lastIndexOf(": http://") + 2);
    String base = address.substring(0, address.indexOf("/#token="));
    String token = address.substring(address.indexOf("#token=") + 7);
    assertThat(send(base + "/api/store", "GET", null, null).statusCode()).isEqualTo(401);
    HttpResponse<String> r = send(base + "/api/store", "GET", token, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static String tokenOf(String location) {
    return location.substring(location.indexOf("token:") + 6, location.indexOf('@'));
  }
}
