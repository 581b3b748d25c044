package dev.cairn.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.WriteMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's API over real HTTP, on a directory store: token, documents, conflicts. */
class ConsoleApiTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private DocumentStore store;
  private Console console;

  @BeforeEach
  void start() {
    store = Cairn.open(dir.resolve("store"));
    console = new Console(store, "127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    console.close();
    store.close();
  }

  private HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + console.port() + path))
            .timeout(Duration.ofSeconds(30));
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

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = call("GET", path, console.token(), null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  void everyRequestNeedsThisStartsTokenAndARefusalTouchesNothing() throws Exception {
    store.create("a", Map.of("n", 1));
    for (String token : new String[] {null, "", "wrong", console.token() + "x"}) {
      HttpResponse<String> r = call("POST", "/api/docs/a/resolve", token, "{\"keep\":\"1-x\"}");
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(JSON.readTree(r.body()).get("error").asText()).isEqualTo("unauthorized");
    }
    assertThat(store.history("a")).hasSize(1);
    try (Console other = new Console(store, "127.0.0.1", 0)) {
      assertThat(other.token()).isNotEqualTo(console.token()).hasSize(64);
    }
  }

  @Test
  void idsAreSearchedAndPagedInOrder() throws Exception {
    for (String id : List.of("pear", "apple", "grape", "apricot")) {
      store.create(id, Map.of("fruit", id));
    }
    store.delete("grape");
    assertThat(get("/api/store").get("documents").asInt()).isEqualTo(3);

    JsonNode all = get("/api/docs");
    assertThat(all.get("total").asInt()).isEqualTo(3);
    assertThat(texts(all.get("ids"))).containsExactly("apple", "apricot", "pear");
    JsonNode page = get("/api/docs?q=ap&offset=1&limit=1");
    assertThat(page.get("total").asInt()).isEqualTo(2);
    assertThat(texts(page.get("ids"))).containsExactly("apricot");

    assertThat(call("GET", "/api/docs?limit=501", console.token(), null).statusCode())
        .isEqualTo(400);
    assertThat(call("GET", "/api/docs?offset=x", console.token(), null).statusCode())
        .isEqualTo(400);
  }

  @Test
  void aDocumentComesWithItsHistoryAndAnEarlierRevisionCanBeRead() throws Exception {
    String first = store.create("doc", Map.of("v", 1));
    String second = store.update("doc", first, Map.of("v", 2));
    JsonNode doc = get("/api/docs/doc");
    assertThat(doc.at("/doc/v").asInt()).isEqualTo(2);
    assertThat(doc.at("/doc/_rev").asText()).isEqualTo(second);
    assertThat(doc.get("history").findValuesAsText("rev")).containsExactly(second, first);
    assertThat(doc.get("conflicts")).isEmpty();
    assertThat(get("/api/docs/doc/revs/" + first).get("v").asInt()).isEqualTo(1);

    HttpResponse<String> missing = call("GET", "/api/docs/nothing", console.token(), null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(missing.body()).get("error").asText()).contains("nothing");
    String elsewhere = store.create("other", Map.of("v", 3)); // a well-formed rev "doc" lacks
    assertThat(call("GET", "/api/docs/doc/revs/" + elsewhere, console.token(), null).statusCode())
        .isEqualTo(404);
    assertThat(call("GET", "/api/docs/doc/revs/9-abc", console.token(), null).statusCode())
        .as("not a revision id")
        .isEqualTo(400);
  }

  @Test
  void aConflictIsShownAndResolvedByKeepingOneRevisionStrictly() throws Exception {
    String base = store.create("doc", Map.of("v", 0));
    String mine = store.update("doc", base, Map.of("v", 1));
    ObjectNode stale = store.get("doc", base).orElseThrow();
    stale.put("v", 2);
    String theirs = store.update(stale, WriteMode.KEEP_BOTH);
    JsonNode doc = get("/api/docs/doc");
    List<String> leaves = new ArrayList<>(List.of(mine, theirs));
    leaves.remove(doc.at("/doc/_rev").asText());
    assertThat(texts(doc.get("conflicts"))).containsExactlyElementsOf(leaves);

    String loser = leaves.get(0);
    HttpResponse<String> notALeaf =
        call("POST", "/api/docs/doc/resolve", console.token(), "{\"keep\":\"" + base + "\"}");
    assertThat(notALeaf.statusCode()).isEqualTo(409);
    assertThat(store.conflicts("doc")).containsExactly(loser); // nothing changed

    HttpResponse<String> kept =
        call("POST", "/api/docs/doc/resolve", console.token(), "{\"keep\":\"" + loser + "\"}");
    assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
    assertThat(store.conflicts("doc")).isEmpty();
    assertThat(store.get("doc").orElseThrow().get("_rev").asText()).isEqualTo(loser);
    assertThat(call("POST", "/api/docs/doc/resolve", console.token(), "{}").statusCode())
        .isEqualTo(400);
  }

  @Test
  void aMergeExtendsOneLiveRevisionAndDeletesTheOthersStrictly() throws Exception {
    String base = store.create("doc", Map.of("a", 1));
    String mine = store.update("doc", base, Map.of("a", 2));
    ObjectNode stale = store.get("doc", base).orElseThrow();
    stale.put("b", 1);
    String theirs = store.update(stale, WriteMode.KEEP_BOTH);

    HttpResponse<String> onAnAncestor =
        call(
            "POST",
            "/api/docs/doc/merge",
            console.token(),
            "{\"_rev\":\"" + base + "\",\"a\":2,\"b\":1}");
    assertThat(onAnAncestor.statusCode()).isEqualTo(409);
    HttpResponse<String> otherId =
        call(
            "POST",
            "/api/docs/doc/merge",
            console.token(),
            "{\"_id\":\"else\",\"_rev\":\"" + mine + "\",\"a\":2}");
    assertThat(otherId.statusCode()).isEqualTo(400);
    assertThat(call("POST", "/api/docs/doc/merge", console.token(), "[1]").statusCode())
        .isEqualTo(400);
    assertThat(call("POST", "/api/docs/doc/merge", console.token(), "{\"a\":2}").statusCode())
        .as("no _rev")
        .isEqualTo(400);
    assertThat(store.history("doc").get(0).rev()).isIn(mine, theirs); // nothing written
    assertThat(store.conflicts("doc")).hasSize(1);

    HttpResponse<String> merged =
        call(
            "POST",
            "/api/docs/doc/merge",
            console.token(),
            "{\"_rev\":\"" + theirs + "\",\"a\":2,\"b\":1}");
    assertThat(merged.statusCode()).as(merged.body()).isEqualTo(200);
    String rev = JSON.readTree(merged.body()).get("rev").asText();
    assertThat(rev).startsWith("3-");
    assertThat(store.conflicts("doc")).isEmpty();
    ObjectNode winner = store.get("doc").orElseThrow();
    assertThat(winner.get("_rev").asText()).isEqualTo(rev);
    assertThat(winner.get("a").asInt()).isEqualTo(2);
    assertThat(winner.get("b").asInt()).isEqualTo(1);
  }

  @Test
  void theStoreIsMeasuredCompactedAndChecked() throws Exception {
    for (int i = 0; i < 30; i++) {
      store.upsert("hot", Map.of("n", i, "pad", "x".repeat(100)));
    }
    store.upsert("cold", Map.of("n", 0));
    JsonNode before = get("/api/store/usage");
    assertThat(before.get("backend").asText()).isEqualTo("file");
    assertThat(before.get("logs").asInt()).isEqualTo(2);
    assertThat(before.get("entries").asInt()).isEqualTo(31);
    assertThat(before.get("bytesOnDisk").asLong()).isPositive();
    // the default retention keeps 1000 revisions: nothing is dead yet
    assertThat(before.get("reclaimableEntries").asInt()).isZero();

    HttpResponse<String> compacted = call("POST", "/api/store/compact", console.token(), "{}");
    assertThat(compacted.statusCode()).as(compacted.body()).isEqualTo(200);
    JsonNode result = JSON.readTree(compacted.body());
    assertThat(result.get("revisionsRemoved").asInt()).isZero();
    assertThat(result.at("/usage/entries").asInt()).isEqualTo(31);

    JsonNode check = get("/api/store/check");
    assertThat(check.get("sound").asBoolean()).isTrue();
    assertThat(check.get("documents").asInt()).isEqualTo(2);
    assertThat(check.get("records").asInt()).isEqualTo(31);
    assertThat(check.get("damaged")).isEmpty();
    assertThat(check.get("problems")).isEmpty();
    assertThat(get("/api/store").get("location").asText()).startsWith("file:");
  }

  @Test
  void aSharedObjectIsReadAndPatchedAndABadPatchChangesNothing() throws Exception {
    try (dev.cairn.SharedObject counter = store.share("counter", Map.of("n", 1))) {
      store.share("beta").close();
      assertThat(texts(get("/api/shared").get("names"))).containsExactly("beta", "counter");
      JsonNode state = get("/api/shared/counter");
      assertThat(state.at("/state/n").asInt()).isEqualTo(1);
      long version = state.get("version").asLong();

      HttpResponse<String> patched =
          call("POST", "/api/shared/counter/patch", console.token(), "{\"$inc\":{\"n\":2}}");
      assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
      JsonNode answer = JSON.readTree(patched.body());
      assertThat(answer.at("/state/n").asInt()).isEqualTo(3);
      assertThat(answer.get("version").asLong()).isEqualTo(version + 1);
      // this process's own object sees the console's patch: it went through the object's log
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> counter.get("n").asInt() == 3);

      for (String bad :
          List.of("{\"$frobnicate\":{\"n\":1}}", "{\"$inc\":{\"n\":\"x\"}}", "7", "{")) {
        HttpResponse<String> r = call("POST", "/api/shared/counter/patch", console.token(), bad);
        assertThat(r.statusCode()).as(bad + ": " + r.body()).isEqualTo(400);
      }
      assertThat(get("/api/shared/counter").get("version").asLong()).isEqualTo(version + 1);
      assertThat(counter.get("n").asInt()).isEqualTo(3);

      HttpResponse<String> absent = call("GET", "/api/shared/nothing", console.token(), null);
      assertThat(absent.statusCode()).isEqualTo(404);
      assertThat(store.sharedObjects()).containsExactly("beta", "counter"); // none created
    }
  }

  @Test
  void channelsShowEachLogsValueOperationsAndCheckpoints() throws Exception {
    try (dev.cairn.oplog.OplogClient client =
        dev.cairn.oplog.OplogClient.builder()
            .channel("team", dir.resolve("store").toString())
            .pruneAfter(0)
            .register("tally", dev.cairn.oplog.Reducers.counter())
            .open()) {
      client.push("team", "counter", "visits", 2);
      client.push("team", "counter", "visits", 5);
      client.push("team", "register", "motto/today", "hello");
      client.push("team", "tally", "own", 1);
    }
    assertThat(texts(get("/api/channels").get("names"))).containsExactly("team");
    JsonNode channel = get("/api/channels/team");
    assertThat(channel.get("logs").findValuesAsText("path"))
        .containsExactly("visits", "motto/today", "own");
    JsonNode visits = channel.get("logs").get(0);
    assertThat(visits.get("value").asInt()).isEqualTo(7);
    assertThat(visits.get("operations").asInt()).isEqualTo(2);
    assertThat(visits.get("checkpoints").asInt()).isZero();
    JsonNode own = channel.get("logs").get(2);
    assertThat(own.get("reduced").asBoolean()).as("the application's reducer").isFalse();

    JsonNode log = get("/api/channels/team/log?type=register&path=motto/today");
    assertThat(log.get("value").asText()).isEqualTo("hello");
    assertThat(log.get("recent")).hasSize(1);
    assertThat(log.at("/recent/0/payload").asText()).isEqualTo("hello");
    assertThat(log.at("/recent/0/folded").asBoolean()).isFalse();
    assertThat(
            get("/api/channels/team/log?type=counter&path=visits")
                .get("recent")
                .findValuesAsText("payload"))
        .containsExactlyInAnyOrder("5", "2"); // in the order (date, sha): equal dates happen
    assertThat(
            call("GET", "/api/channels/team/log?type=counter", console.token(), null).statusCode())
        .isEqualTo(400);
    assertThat(
            call("GET", "/api/channels/team/log?type=counter&path=../x", console.token(), null)
                .statusCode())
        .isEqualTo(400);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
