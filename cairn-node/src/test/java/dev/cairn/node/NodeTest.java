package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.json.Json;
import dev.cairn.oplog.OplogClient;
import dev.cairn.testkit.Jvm;
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
  private static final HttpClient HTTP = NodeHttp.HTTP;
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
            Map.of(
                "CAIRN_ADMIN_TOKEN",
                ADMIN,
                "CAIRN_HASH_ITERATIONS",
                "1000",
                "CAIRN_SESSION_SWEEP_SECONDS",
                "1"),
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
    for (String user : List.of("alice", "bob", "carol", "dave")) {
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

  /**
   * A request; to a store ({@code /store/...}), the session token is exchanged at the table for
   * that store's token first, as a client does.
   */
  private static HttpResponse<String> call(String method, String url, String token, String body)
      throws Exception {
    int store = url.indexOf("/store/");
    return NodeHttp.call(
        method,
        url,
        store < 0 ? token : NodeHttp.storeToken(table, token, url.substring(0, store)),
        body);
  }

  private static String storeTokenFor(String session, String store) throws Exception {
    HttpResponse<String> r =
        NodeHttp.call(
            "POST", table + "/sessions/store-token", session, "{\"store\":\"" + store + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return Json.MAPPER.readTree(r.body()).get("token").asText();
  }

  @Test
  void aStoreTokenServesOnlyItsStoreAndDiesWithItsSession() throws Exception {
    String session = login("carol", 3600);
    String one = storeTokenFor(session, store1);
    String two = storeTokenFor(session, store2);
    assertThat(one).isNotEqualTo(two).doesNotContain(session);

    assertThat(NodeHttp.call("GET", store1 + "/store/keys", one, null).statusCode()).isEqualTo(200);
    assertThat(NodeHttp.call("GET", store2 + "/store/keys", two, null).statusCode()).isEqualTo(200);
    // replayed at another store, at the table, or turned into more tokens: refused
    assertThat(NodeHttp.call("GET", store2 + "/store/keys", one, null).statusCode()).isEqualTo(401);
    assertThat(NodeHttp.call("GET", table + "/mounts", one, null).statusCode()).isEqualTo(401);
    assertThat(NodeHttp.call("GET", table + "/sessions/check", one, null).statusCode())
        .isEqualTo(401);
    assertThat(
            NodeHttp.call(
                    "POST", table + "/sessions/store-token", one, "{\"store\":\"" + store2 + "\"}")
                .statusCode())
        .isEqualTo(401);
    assertThat(NodeHttp.call("DELETE", table + "/sessions", one, null).statusCode()).isEqualTo(401);
    // a store never takes the session token itself, nor a forged store token
    assertThat(NodeHttp.call("GET", store1 + "/store/keys", session, null).statusCode())
        .isEqualTo(401);
    String forged = one.substring(0, one.length() - 2) + (one.endsWith("A") ? "BB" : "AA");
    assertThat(NodeHttp.call("GET", store1 + "/store/keys", forged, null).statusCode())
        .isEqualTo(401);
    assertThat(
            NodeHttp.call(
                    "POST", table + "/sessions/store-token", session, "{\"store\":\"ftp://x\"}")
                .statusCode())
        .isEqualTo(400);

    // revoking the session refuses its store tokens on every store at once
    assertThat(NodeHttp.call("DELETE", table + "/sessions", session, null).statusCode())
        .isEqualTo(200);
    assertThat(NodeHttp.call("GET", store1 + "/store/keys", one, null).statusCode()).isEqualTo(401);
    assertThat(NodeHttp.call("GET", store2 + "/store/keys", two, null).statusCode()).isEqualTo(401);
  }

  /**
   * Opens a session. The guessing tests may have used up this address's failed logins just before:
   * a 429 is asked again, as a client honouring Retry-After does, until a deadline.
   */
  private static String login(String user, long ttlSeconds) throws Exception {
    String body =
        "{\"user\":\""
            + user
            + "\",\"secret\":\""
            + user
            + "-long-secret\",\"ttlSeconds\":"
            + ttlSeconds
            + "}";
    java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> answer =
        new java.util.concurrent.atomic.AtomicReference<>();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              answer.set(call("POST", table + "/sessions", null, body));
              return answer.get().statusCode() != 429;
            });
    HttpResponse<String> r = answer.get();
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return Json.MAPPER.readTree(r.body()).get("token").asText();
  }

  private static String location(String node, String token) {
    return node.replace("http://", "cairn+http://token:" + token + "@") + "?table=" + table;
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
  void aStoreNodeTakesNoSessionTokenNotEvenToRevokeIt() throws Exception {
    String token = login("alice", 3600);
    HttpResponse<String> refused = call("DELETE", store1 + "/sessions", token, null);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("at its table");
    assertThat(call("GET", store1 + "/store/keys", token, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", table + "/mounts", token, null).statusCode()).isEqualTo(200);
  }

  @Test
  void expiredSessionsAreSweptFromTheTable() throws Exception {
    String brief = login("dave", 1);
    String key =
        "s/"
            + java.util.HexFormat.of()
                .formatHex(
                    java.security.MessageDigest.getInstance("SHA-256")
                        .digest(brief.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    try (var sessions =
        dev.cairn.engine.Backends.open(
            dir.resolve("table/sessions").toString(),
            new dev.cairn.spi.BackendOptions(dev.cairn.Durability.OS, false))) {
      assertThat(sessions.keys()).contains(key);
      await().atMost(WAIT).until(() -> !sessions.keys().contains(key));
    }
    assertThat(call("GET", table + "/mounts", brief, null).statusCode()).isEqualTo(401);
  }

  /** What a raw HTTP exchange from a local address of our choosing got: status and Retry-After. */
  private record Answer(int status, String retryAfter) {}

  /** Logs in over a socket bound to {@code from} (127.0.0.x), as a client at that address would. */
  private static Answer loginFrom(String from, String user, String secret) throws Exception {
    URI uri = URI.create(table);
    String body = "{\"user\":\"" + user + "\",\"secret\":\"" + secret + "\"}";
    try (java.net.Socket socket =
        new java.net.Socket(
            uri.getHost(), uri.getPort(), java.net.InetAddress.getByName(from), 0)) {
      socket.setSoTimeout(60_000);
      byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      socket
          .getOutputStream()
          .write(
              ("POST /sessions HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                      + "Content-Length: "
                      + bytes.length
                      + "\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      var in =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(
                  socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      int status = Integer.parseInt(in.readLine().split(" ")[1]);
      String retryAfter = null;
      for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
        if (line.regionMatches(true, 0, "Retry-After:", 0, 12)) {
          retryAfter = line.substring(12).trim();
        }
      }
      return new Answer(status, retryAfter);
    }
  }

  private static List<Answer> atOnce(int n, java.util.function.IntFunction<Answer> attempt)
      throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<Answer>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        futures.add(pool.submit(() -> attempt.apply(k)));
      }
      List<Answer> out = new ArrayList<>();
      for (var f : futures) {
        out.add(f.get(2, java.util.concurrent.TimeUnit.MINUTES));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static java.util.function.IntFunction<Answer> unchecked(
      java.util.concurrent.Callable<Answer> call) {
    return k -> {
      try {
        return call.call();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  @Test
  void guessingFromOneAddressGets429AndOthersStillLogIn() throws Exception {
    List<Answer> guesses =
        atOnce(
            64,
            k ->
                unchecked(() -> loginFrom("127.0.0.2", "guess" + k, "wrong-secret-" + k)).apply(k));

    assertThat(guesses).allSatisfy(a -> assertThat(a.status()).isIn(401, 429));
    assertThat(guesses.stream().filter(a -> a.status() == 401).count())
        .isLessThanOrEqualTo(LoginGuard.BURST);
    assertThat(guesses.stream().filter(a -> a.status() == 429))
        .isNotEmpty()
        .allSatisfy(a -> assertThat(Integer.parseInt(a.retryAfter())).isPositive());
    // someone else, elsewhere, logs in as ever
    assertThat(loginFrom("127.0.0.3", "bob", "bob-long-secret").status()).isEqualTo(201);
  }

  @Test
  void guessingOneUsersSecretFromManyAddressesGets429() throws Exception {
    List<Answer> guesses =
        atOnce(
            40,
            k -> unchecked(() -> loginFrom("127.0.1." + (k + 1), "carol", "wrong-" + k)).apply(k));

    assertThat(guesses.stream().filter(a -> a.status() == 401).count())
        .isLessThanOrEqualTo(LoginGuard.BURST);
    assertThat(guesses.stream().filter(a -> a.status() == 429).count())
        .isGreaterThanOrEqualTo(40 - LoginGuard.BURST);
    // the same addresses may still log in as someone else
    assertThat(loginFrom("127.0.1.1", "bob", "bob-long-secret").status()).isEqualTo(201);
  }

  /** A body of 'x's that comes a megabyte every 100 ms, as from a slow client. */
  private static final class SlowBody extends java.io.InputStream {
    private long left;
    private int inChunk;

    SlowBody(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0];
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      if (inChunk == 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // the client's pace
        inChunk = 1 << 20;
      }
      int n = (int) Math.min(Math.min(len, left), inChunk);
      java.util.Arrays.fill(b, off, off + n, (byte) 'x');
      left -= n;
      inChunk -= n;
      return n;
    }
  }

  @Test
  void manyLargeBodiesAtOnceAreRefusedNotHeldInTheHeap() throws Exception {
    String token = NodeHttp.storeToken(table, login("alice", 3600), store1);
    int size = 15 << 20;
    List<java.util.concurrent.CompletableFuture<Integer>> sent = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      // a client that sends its 15 MB body slowly, so that many are in flight at once
      HttpRequest.BodyPublisher slow =
          HttpRequest.BodyPublishers.fromPublisher(
              HttpRequest.BodyPublishers.ofInputStream(() -> new SlowBody(size)), size);
      sent.add(
          HTTP.sendAsync(
                  HttpRequest.newBuilder(URI.create(store1 + "/store/logs?key=big"))
                      .header("Authorization", "Bearer " + token)
                      .timeout(WAIT)
                      .POST(slow)
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .handle((r, e) -> r == null ? -1 : r.statusCode()));
    }
    List<Integer> statuses = new ArrayList<>();
    for (var f : sent) {
      statuses.add(f.get(2, java.util.concurrent.TimeUnit.MINUTES));
    }
    // read and refused as not JSON (400), or not even read (503, or the connection cut)
    assertThat(statuses).allSatisfy(s -> assertThat(s).isIn(400, 503, -1));
    assertThat(statuses).contains(503);
    byte[] tooBig = new byte[(16 << 20) + 1];
    assertThat(
            HTTP.send(
                    HttpRequest.newBuilder(URI.create(store1 + "/store/logs?key=big"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(tooBig))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(413);
    // and the node is as it was
    assertThat(call("GET", store1 + "/store/last", token, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aDocumentStoreOnANodeIsRefusedAndNamesWhatTheNodeHolds() throws Exception {
    String token = "a-token-the-refusal-comes-before-any-request-uses";
    String location = location(store1, token);
    assertThatThrownBy(() -> dev.cairn.Cairn.open(location))
        .isInstanceOf(dev.cairn.InvalidLocationException.class)
        .hasMessageContaining("holds oplog channels only")
        .hasMessageNotContaining(token); // the token is never shown
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
    var response = openStream(store2, alice, lines);
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

  @Test
  void aStreamEndsWhenItsSessionIsRevokedAndSendsNothingMore() throws Exception {
    String alice = login("alice", 3600);
    java.util.concurrent.BlockingQueue<String> lines =
        new java.util.concurrent.LinkedBlockingQueue<>();
    var response = openStream(store2, alice, lines);

    assertThat(call("DELETE", table + "/sessions", alice, null).statusCode()).isEqualTo(200);
    String again = login("alice", 3600);
    String secret = java.util.Base64.getEncoder().encodeToString("after revoking".getBytes());
    call("POST", store2 + "/store/logs?key=k", again, "{\"payloads\":[\"" + secret + "\"]}");

    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    for (String line; !END.equals(line = lines.poll(1, java.util.concurrent.TimeUnit.SECONDS)); ) {
      assertThat(System.nanoTime()).as("the stream ended; saw %s", seen).isLessThan(deadline);
      if (line != null) {
        seen.add(line);
      }
    }
    assertThat(seen).noneMatch(l -> l.contains(secret)); // ended, and sent nothing after
    response.cancel(true);
  }

  private static final String END = "(the stream ended)";

  /** Opens a stream and waits until it is ready; its lines, then END, go to {@code lines}. */
  private static java.util.concurrent.CompletableFuture<
          HttpResponse<java.util.stream.Stream<String>>>
      openStream(String node, String session, java.util.concurrent.BlockingQueue<String> lines)
          throws Exception {
    String token = NodeHttp.storeToken(table, session, node);
    var response =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(node + "/store/stream"))
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token)
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
              lines.add(END);
            });
    reader.setDaemon(true);
    reader.start();
    String first;
    do {
      first = lines.poll(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(first).as("the stream opened").isNotNull().isNotEqualTo(END);
    } while (!first.equals("event: ready"));
    return response;
  }
}
