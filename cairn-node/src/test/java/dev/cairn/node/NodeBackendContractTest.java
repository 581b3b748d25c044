package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.Durability;
import dev.cairn.engine.Backends;
import dev.cairn.json.Json;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.testkit.BackendContract;
import dev.cairn.testkit.Jvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract on the {@code cairn+http} client, against a real store node that asks a real
 * table node about every token: each test is a new user, whose keys no one else's meet.
 */
class NodeBackendContractTest extends BackendContract {
  private static final String ADMIN = "admin-token-for-contract";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final AtomicInteger USERS = new AtomicInteger();
  @TempDir static Path dir;
  private static Jvm table;
  private static Jvm store;
  private static String tableUrl;
  private static String storeUrl;
  private String location;

  private static Jvm node(String name, String... table) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(dir.resolve(name).toString(), "0"));
    args.addAll(List.of(table));
    return Jvm.start(
        Map.of("CAIRN_ADMIN_TOKEN", ADMIN, "CAIRN_HASH_ITERATIONS", "1000"),
        NodeMain.class,
        args.toArray(String[]::new));
  }

  private static String url(Jvm node) throws Exception {
    String line = node.await(l -> l.startsWith("listening "), WAIT);
    return "http://127.0.0.1:" + line.substring("listening ".length());
  }

  @BeforeAll
  static void start() throws Exception {
    table = node("table");
    tableUrl = url(table);
    store = node("store", tableUrl);
    storeUrl = url(store);
  }

  @AfterAll
  static void stop() {
    store.close();
    table.close();
  }

  private static String post(String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(tableUrl + path))
            .timeout(WAIT)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return r.body();
  }

  /** A new user, logged in: the store this test uses is that user's. */
  @Override
  @BeforeEach
  protected void openTwice() throws Exception {
    String user = "u" + USERS.incrementAndGet();
    String secret = user + "-a-long-secret";
    post("/users", ADMIN, "{\"user\":\"" + user + "\",\"secret\":\"" + secret + "\"}");
    String token =
        Json.MAPPER
            .readTree(
                post(
                    "/sessions", null, "{\"user\":\"" + user + "\",\"secret\":\"" + secret + "\"}"))
            .get("token")
            .asText();
    location =
        storeUrl.replace("http://", "cairn+http://token:" + token + "@") + "?table=" + tableUrl;
    super.openTwice();
  }

  @Override
  protected Backend open() {
    return Backends.open(location, new BackendOptions(Durability.SYNC));
  }
}
