package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several counter server processes on one store, hammered at once, count exactly. */
class CounterServerIT {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");
  private static final Pattern COUNT = Pattern.compile("\\{\"count\":(\\d+)}");
  @TempDir Path dir;

  @Test
  void threeServersCountEveryRequestExactlyOnce() throws Exception {
    int servers = 3;
    int clients = 6;
    int each = 100;
    List<Process> processes = new ArrayList<>();
    List<URI> urls = new ArrayList<>();
    try {
      for (int i = 0; i < servers; i++) {
        Process p =
            new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar",
                    System.getProperty("cairn.jar"),
                    "--store",
                    dir.toString(),
                    "serve-counter",
                    "--port",
                    "0")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        processes.add(p);
        String line =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        Matcher m = LISTENING.matcher(String.valueOf(line));
        assertThat(m.find()).as("server said %s", line).isTrue();
        urls.add(URI.create(m.group(1)));
      }

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      ConcurrentLinkedQueue<Long> counts = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int client = c;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    URI server = urls.get((client + i) % servers).resolve("/increment");
                    HttpResponse<String> r =
                        http.send(
                            HttpRequest.newBuilder(server)
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    Matcher m = COUNT.matcher(r.body());
                    assertThat(m.matches()).isTrue();
                    counts.add(Long.parseLong(m.group(1)));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
      pool.shutdown();

      long total = (long) clients * each;
      // every request got its own count: none lost, none counted twice
      assertThat(counts)
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
      for (URI url : urls) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(url.resolve("/count")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).isEqualTo("{\"count\":" + total + "}");
      }
    } finally {
      processes.forEach(Process::destroy);
      for (Process p : processes) {
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
