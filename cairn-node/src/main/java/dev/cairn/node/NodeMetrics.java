package dev.cairn.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node's meters, served in Prometheus's text format at {@code /metrics}: requests by method,
 * route template and status, with their latencies; logins; appends; stream clients; sessions held;
 * and the JVM's own. Routes are templates ({@code /users/{user}}), never the path a client sent, so
 * no user name or key reaches the metrics.
 */
final class NodeMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Counter appendRequests;
  private final Counter appendedEntries;

  NodeMetrics(Supplier<Number> streamClients, Supplier<Number> sessions) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // a supplier held strongly: a gauge holds its state weakly, and nothing else holds these
    Gauge.builder("cairn.node.stream.clients", streamClients)
        .description("open server-sent event streams")
        .register(registry);
    Gauge.builder("cairn.node.sessions", sessions)
        .description("sessions the table holds (until swept: expired and revoked ones included)")
        .register(registry);
    appendRequests =
        Counter.builder("cairn.node.appends")
            .description("appends stored, each one request")
            .register(registry);
    appendedEntries =
        Counter.builder("cairn.node.appended.entries")
            .description("entries stored by appends")
            .register(registry);
  }

  /** One answered request; {@code route} is the template that matched, or "unmatched". */
  void request(String method, String route, int status, long nanos) {
    Timer.builder("cairn.node.requests")
        .description("answered requests, by method, route template and status")
        .tags("method", method, "route", route, "status", Integer.toString(status))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A login's outcome: opened, refused, limited (429) or busy (503). */
  void login(String outcome) {
    Counter.builder("cairn.node.logins")
        .description("login attempts, by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  void appended(int entries) {
    appendRequests.increment();
    appendedEntries.increment(entries);
  }

  /** Everything, in the Prometheus text format 0.0.4. */
  String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
