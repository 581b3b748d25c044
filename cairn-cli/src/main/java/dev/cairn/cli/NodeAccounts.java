package dev.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.AccessDeniedException;
import dev.cairn.ConflictException;
import dev.cairn.InvalidDocumentException;
import dev.cairn.InvalidLocationException;
import dev.cairn.NotFoundException;
import dev.cairn.StorageException;
import dev.cairn.UnavailableException;
import dev.cairn.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code cairn user} and {@code cairn session}: a node's users and sessions over its HTTP API
 * (docs/node.md), so an administrator needs no curl. Secrets and tokens are read from the
 * environment or stdin, never from arguments, where other users of the machine could see them.
 */
final class NodeAccounts {
  private NodeAccounts() {}

  private static final String NODE_HELP =
      "The URL of the node that keeps the table (users and sessions; not a store node, which"
          + " never sees a session token), e.g. http://127.0.0.1:7070. Default: $CAIRN_NODE.";
  private static final String USER_HELP = "The user's name.";

  /** The options and the HTTP calls every command here shares. */
  abstract static class NodeCall implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--node", paramLabel = "URL", description = NODE_HELP)
    String node;

    private final HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The top command, which holds stdin. */
    Main main() {
      return (Main) spec.root().userObject();
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** The node's base URI, checked. */
    URI base() {
      String url = node != null ? node : System.getenv("CAIRN_NODE");
      if (url == null || url.isBlank()) {
        throw new InvalidLocationException("no node: give --node URL or set $CAIRN_NODE");
      }
      try {
        URI uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            || uri.getHost() == null
            || uri.getUserInfo() != null) {
          throw new URISyntaxException(url, "an http(s)://HOST:PORT URL without credentials");
        }
        return uri;
      } catch (URISyntaxException e) {
        throw new InvalidLocationException(
            "not a node URL: " + url + " (an http(s)://HOST:PORT URL without credentials)", e);
      }
    }

    /** The admin token of {@code $CAIRN_ADMIN_TOKEN}, which the node was started with. */
    static String adminToken() {
      String token = System.getenv("CAIRN_ADMIN_TOKEN");
      if (token == null || token.isEmpty()) {
        throw new AccessDeniedException(
            "set $CAIRN_ADMIN_TOKEN to the admin token the node was started with");
      }
      return token;
    }

    /** The first line of stdin: a secret or a token, which a shell user pipes in. */
    String readLine(String what) throws IOException {
      String line =
          new BufferedReader(new InputStreamReader(main().in(), StandardCharsets.UTF_8)).readLine();
      if (line == null || line.isEmpty()) {
        throw new InvalidDocumentException("expected " + what + " on the first line of stdin");
      }
      return line;
    }

    /** Sends one request and returns the answer's JSON; a refusal is a typed error. */
    JsonNode call(String method, String path, String token, JsonNode body)
        throws InterruptedException {
      URI uri = base();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri.resolve(path))
              .timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(Json.write(body)));
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r;
      try {
        r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new UnavailableException("the node at " + uri + " did not answer: " + e, e);
      }
      JsonNode answer;
      try {
        answer =
            r.body().isEmpty() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
      } catch (IOException e) {
        answer = Json.MAPPER.createObjectNode(); // not JSON: a proxy's page; the status tells
      }
      String error = answer.path("error").asText("");
      String said =
          "the node at %s answered %d%s"
              .formatted(uri, r.statusCode(), error.isEmpty() ? "" : ": " + error);
      return switch (r.statusCode()) {
        case 200, 201, 204 -> answer;
        case 401, 403 -> throw new AccessDeniedException(said);
        case 400 -> throw new InvalidDocumentException(said);
        case 404 -> throw new NotFoundException(said);
        case 409 -> throw new ConflictException(null, null, said);
        case 429, 502, 503, 504 -> throw new UnavailableException(said + "; try again later");
        default -> throw new StorageException(said, null);
      };
    }
  }

  @Command(
      name = "user",
      description = {
        "A node's users: add, list, remove. Every command needs the admin token the node was"
            + " started with, in $CAIRN_ADMIN_TOKEN."
      },
      subcommands = {UserCommand.Add.class, UserCommand.List.class, UserCommand.Remove.class})
  static final class UserCommand {

    @Command(
        name = "add",
        description =
            "Add a user; its master secret (at least 12 characters) is read from the first line"
                + " of stdin. Exit 4 if the user exists.")
    static final class Add extends NodeCall {

      @Parameters(paramLabel = "USER", description = USER_HELP)
      String user;

      @Override
      public Integer call() throws Exception {
        String token = adminToken();
        ObjectNode body = Json.MAPPER.createObjectNode().put("user", user);
        body.put("secret", readLine("the user's master secret"));
        call("POST", "/users", token, body);
        out().println(Json.write(Json.MAPPER.createObjectNode().put("user", user)));
        return Main.OK;
      }
    }

    @Command(name = "list", description = "List the users, one JSON line each, sorted by name.")
    static final class List extends NodeCall {

      @Override
      public Integer call() throws Exception {
        for (JsonNode user : call("GET", "/users", adminToken(), null).path("users")) {
          out().println(Json.write(user));
        }
        return Main.OK;
      }
    }

    @Command(
        name = "remove",
        description = {
          "Remove a user: its sessions are refused at once, on every store. What its channels"
              + " hold and its mounts stay; a user added again under the name gets them back,"
              + " but not the old sessions. Exit 3 if there is no such user."
        })
    static final class Remove extends NodeCall {

      @Parameters(paramLabel = "USER", description = USER_HELP)
      String user;

      @Override
      public Integer call() throws Exception {
        dev.cairn.json.Validation.id(user);
        String segment =
            java.net.URLEncoder.encode(user, StandardCharsets.UTF_8).replace("+", "%20");
        call("DELETE", "/users/" + segment, adminToken(), null);
        return Main.OK;
      }
    }
  }

  @Command(
      name = "session",
      description = "Open or revoke a session of a node's user.",
      subcommands = {SessionCommand.Open.class, SessionCommand.Revoke.class})
  static final class SessionCommand {

    @Command(
        name = "open",
        description = {
          "Open a session; the user's master secret is read from the first line of stdin. Prints"
              + " {\"token\", \"expires\"}: use the token in a cairn+http(s)://token:TOKEN@HOST:PORT"
              + " location.",
          "Exit 5 if the node refuses the user or the secret (the same answer for both)."
        })
    static final class Open extends NodeCall {

      @Parameters(paramLabel = "USER", description = USER_HELP)
      String user;

      @Option(
          names = "--ttl",
          paramLabel = "SECONDS",
          description = "How long the session lasts, 1 to 2592000 (30 days). Default: 3600.")
      long ttlSeconds = 3600;

      @Override
      public Integer call() throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode().put("user", user);
        body.put("secret", readLine("the user's master secret"));
        body.put("ttlSeconds", ttlSeconds);
        JsonNode session = call("POST", "/sessions", null, body);
        out().println(Json.write(session));
        return Main.OK;
      }
    }

    @Command(
        name = "revoke",
        description =
            "Revoke a session at once, on every store: its token is $CAIRN_TOKEN, else the first"
                + " line of stdin. Revoking twice does nothing.")
    static final class Revoke extends NodeCall {

      @Override
      public Integer call() throws Exception {
        String token = System.getenv("CAIRN_TOKEN");
        call(
            "DELETE",
            "/sessions",
            token != null && !token.isEmpty() ? token : readLine("a session token"),
            null);
        return Main.OK;
      }
    }
  }
}
