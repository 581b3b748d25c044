package dev.cairn.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.AccessDeniedException;
import dev.cairn.UnavailableException;
import dev.cairn.json.Json;
import dev.cairn.spi.MountTableProvider;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a user's mounts from a Cairn node's table ({@code GET /mounts} with the session token). A
 * mount's store given as a node's URL ({@code http(s)://host:port}) becomes that node's store for
 * the user, {@code cairn+http(s)://token:SESSION@host:port?table=TABLE}: its client then asks the
 * table for the store's own token. Any other store (a directory, Redis, SQL) is used as written.
 */
public final class NodeMountTables implements MountTableProvider {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Override
  public List<String> schemes() {
    return List.of("http", "https");
  }

  @Override
  public Map<String, List<String>> mounts(String tableUrl, String sessionToken) {
    String table = tableUrl.endsWith("/") ? tableUrl.substring(0, tableUrl.length() - 1) : tableUrl;
    HttpResponse<String> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(URI.create(table + "/mounts"))
                  .timeout(TIMEOUT)
                  .header("Authorization", "Bearer " + sessionToken)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UnavailableException("the table at " + table + " did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while asking the table at " + table, e);
    }
    if (r.statusCode() == 401 || r.statusCode() == 403) {
      throw new AccessDeniedException("the table at " + table + " refused the session token");
    }
    if (r.statusCode() != 200) {
      throw new UnavailableException(
          "the table at " + table + " answered " + r.statusCode() + " for the mounts");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    JsonNode body = Json.parse(r.body());
    body.fields()
        .forEachRemaining(
            channel -> {
              List<String> stores = new ArrayList<>();
              channel
                  .getValue()
                  .forEach(s -> stores.add(location(s.asText(), table, sessionToken)));
              out.put(channel.getKey(), List.copyOf(stores));
            });
    return out;
  }

  /** A mount's store as a location a client opens. */
  static String location(String store, String table, String sessionToken) {
    if (!store.matches("https?://[^/?#@]+/?")) {
      return store;
    }
    String base = store.endsWith("/") ? store.substring(0, store.length() - 1) : store;
    return "cairn+"
        + base.replaceFirst("://", "://token:" + sessionToken + "@")
        + "?table="
        + URLEncoder.encode(table, StandardCharsets.UTF_8);
  }
}
