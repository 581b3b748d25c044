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

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
