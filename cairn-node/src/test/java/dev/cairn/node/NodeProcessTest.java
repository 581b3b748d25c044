package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.json.Json;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node process on its own: HTTPS, and what it writes to its log. */
class NodeProcessTest {
  private static final String ADMIN = "the-admin-token-of-this-test";
  @TempDir Path dir;

  /** Starts a node whose standard error goes to {@code log}; returns it and its port. */
  private record Started(Process process, int port) {}

  private Started start(Map<String, String> env, Path log) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            NodeMain.class.getName(),
            dir.resolve("data").toString(),
            "0");
    pb.environment().putAll(env);
    pb.environment().put("CAIRN_ADMIN_TOKEN", ADMIN);
    pb.environment().put("CAIRN_HASH_ITERATIONS", "1000");
    pb.redirectError(log.toFile());
    Process p = pb.start();
    String line =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(line)
        .as("the node started; its log: %s", Files.readString(log))
        .startsWith("listening ");
    return new Started(p, Integer.parseInt(line.substring("listening ".length())));
  }

  private static HttpResponse<String> post(HttpClient http, String url, String token, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
  }

  @Test
  void secretsAndTokensNeverReachTheLogEvenAtDebugLevel() throws Exception {
    Path log = dir.resolve("node.log");
    Started node =
        start(Map.of("JAVA_TOOL_OPTIONS", "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug"), log);
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + node.port();
    String secret = "a-very-particular-secret";
    try {
      assertThat(
              post(http, base + "/users", ADMIN, "{\"user\":\"ann\",\"secret\":\"" + secret + "\"}")
                  .statusCode())
          .isEqualTo(201);
      HttpResponse<String> login =
          post(http, base + "/sessions", null, "{\"user\":\"ann\",\"secret\":\"" + secret + "\"}");
      String token = Json.MAPPER.readTree(login.body()).get("token").asText();
      post(
          http, base + "/sessions", null, "{\"user\":\"ann\",\"secret\":\"wrong-" + secret + "\"}");
      String storeToken = NodeHttp.storeToken(base, token, base);
      assertThat(storeToken).startsWith("st.");
      assertThat(
              post(http, base + "/store/logs?key=k", storeToken, "{\"payloads\":[\"AQI=\"]}")
                  .statusCode())
          .isEqualTo(200);
      post(http, base + "/store/logs?key=k", "forged-" + storeToken, "{\"payloads\":[\"AQI=\"]}");
      stop(node.process());
      String written = Files.readString(log);
      // debug was asked for, and the node ran and logged
      assertThat(written).contains("defaultLogLevel=debug").contains("Javalin has stopped");
      for (String hidden : List.of(secret, token, storeToken, ADMIN)) {
        assertThat(written).doesNotContain(hidden);
      }
    } finally {
      node.process().destroyForcibly();
    }
  }

  @Test
  void withAKeyStoreTheNodeServesHttpsOnly() throws Exception {
    Path keystore = dir.resolve("node.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "node",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "store-password")
            .redirectErrorStream(true)
            .start();
    assertThat(keytool.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(keytool.exitValue()).isZero();
    Started node =
        start(
            Map.of(
                "CAIRN_TLS_KEYSTORE", keystore.toString(), "CAIRN_TLS_PASSWORD", "store-password"),
            dir.resolve("tls.log"));
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      try (FileInputStream in = new FileInputStream(keystore.toFile())) {
        trusted.load(in, "store-password".toCharArray());
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusted);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(tls).build();
      var created =
          post(
              https,
              "https://127.0.0.1:" + node.port() + "/users",
              ADMIN,
              "{\"user\":\"ann\",\"secret\":\"a-long-secret-here\"}");
      assertThat(created.statusCode()).isEqualTo(201);
      // browsers are told to come back over HTTPS only
      assertThat(created.headers().firstValue("Strict-Transport-Security"))
          .hasValue("max-age=31536000");
      HttpClient plain = HttpClient.newHttpClient();
      assertThatThrownBy(
              () -> {
                int status =
                    post(plain, "http://127.0.0.1:" + node.port() + "/sessions", null, "{}")
                        .statusCode();
                throw new IllegalStateException("plain HTTP answered " + status);
              })
          .isInstanceOf(java.io.IOException.class);
    } finally {
      stop(node.process());
    }
  }
}
