package dev.cairn.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The tests' HTTP client of a node: one request, with a bearer token if given. */
final class NodeHttp {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  private NodeHttp() {}

  private static final java.util.Map<String, String> STORE_TOKENS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The store token the table at {@code table} issues for {@code session} and the store at {@code
   * store}, asked once and then remembered, as a client does; {@code session} itself if the table
   * refuses it (a bad or expired token), so that the store sees and refuses it.
   */
  static String storeToken(String table, String session, String store) throws Exception {
    if (session == null || session.startsWith("st.")) {
      return session;
    }
    String cacheKey = session + " " + store;
    String known = STORE_TOKENS.get(cacheKey);
    if (known != null) {
      return known;
    }
    HttpResponse<String> r =
        call("POST", table + "/sessions/store-token", session, "{\"store\":\"" + store + "\"}");
    if (r.statusCode() != 201) {
      return session;
    }
    String token = dev.cairn.json.Json.MAPPER.readTree(r.body()).get("token").asText();
    STORE_TOKENS.put(cacheKey, token);
    return token;
  }

  /** {@code method url} with {@code body} (null: none), answered within 60 s. */
  static HttpResponse<String> call(String method, String url, String token, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
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
}
