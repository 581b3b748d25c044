package dev.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.ContentionException;
import dev.cairn.DocumentStore;
import dev.cairn.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The counter of the scoped-storage example as an HTTP server: any number of these processes on one
 * store count together, exactly. {@code POST /increment} adds one through {@code scoped} and
 * answers the new count; {@code GET /count} answers the count.
 */
@Command(
    name = "serve-counter",
    description = {
      "Serve a shared counter over HTTP: POST /increment, GET /count.",
      "Run several on one store: together they count exactly."
    })
final class CounterServer implements java.util.concurrent.Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--port", defaultValue = "8080", description = "Port (0: any free one).")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on.")
  String host;

  @Option(names = "--name", defaultValue = "counter", description = "The document that counts.")
  String name;

  @Override
  public Integer call() throws Exception {
    dev.cairn.json.Validation.id(name);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be 0..65535, got " + port);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try (DocumentStore store = main.open()) {
      HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
      server.setExecutor(threads);
      server.createContext("/increment", exchange -> increment(store, exchange));
      server.createContext("/count", exchange -> count(store, exchange));
      server.start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    server.stop(0);
                    stopped.countDown();
                  }));
      PrintWriter out = spec.commandLine().getOut();
      out.printf(
          "listening on http://%s:%d (store %s)%n",
          host, server.getAddress().getPort(), store.location());
      out.flush();
      stopped.await();
    } finally {
      threads.shutdownNow();
    }
    return Main.OK;
  }

  private void increment(DocumentStore store, HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      reply(exchange, 405, "{\"error\":\"use POST\"}");
      return;
    }
    try {
      long count =
          store.scoped(
              name,
              doc -> {
                long next = doc.path("count").asLong() + 1;
                doc.put("count", next);
                return next;
              });
      reply(exchange, 200, "{\"count\":" + count + "}");
    } catch (ContentionException e) {
      reply(exchange, 503, error(e));
    } catch (RuntimeException e) {
      reply(exchange, 500, error(e));
    }
  }

  private void count(DocumentStore store, HttpExchange exchange) throws IOException {
    long count = store.get(name).map(d -> d.path("count").asLong()).orElse(0L);
    reply(exchange, 200, "{\"count\":" + count + "}");
  }

  private static String error(Exception e) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("error", e.getMessage());
    return Json.write(body);
  }

  private static void reply(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream body = exchange.getResponseBody()) {
      body.write(bytes);
    }
  }
}
