package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.InvalidUpdateException;
import dev.cairn.SharedObject;
import dev.cairn.json.Json;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.LogEntry;
import dev.cairn.update.UpdateOperators;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Multi-process runs on one shared object, for every backend's tests. */
public final class SharedLoad {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Pattern SENT =
      Pattern.compile(
          "sent accepted=(\\d+) incs=(\\d+) pushes=(\\d+) rejected=(\\d+) refused=(\\d+)");

  private SharedLoad() {}

  /**
   * {@code processes} JVMs send {@code count} random patches each, at once, to one object; every
   * one ends with the same state and version, which hold exactly the patches accepted.
   */
  public static void randomPatchesConverge(String location, int processes, int count)
      throws Exception {
    String name = "random-" + System.nanoTime();
    List<Jvm> jvms = new ArrayList<>();
    try {
      for (int i = 0; i < processes; i++) {
        jvms.add(
            Jvm.start(ShareWorker.class, "random", location, name, String.valueOf(i), "" + count));
      }
      for (Jvm j : jvms) {
        j.await("ready"::equals, WAIT);
      }
      for (Jvm j : jvms) {
        j.send("go");
      }
      long accepted = 0;
      long pushes = 0;
      long rejected = 0;
      long refused = 0;
      Map<Integer, Long> incs = new HashMap<>();
      for (int i = 0; i < processes; i++) {
        Matcher m = SENT.matcher(jvms.get(i).await(l -> l.startsWith("sent"), WAIT));
        assertThat(m.matches()).isTrue();
        accepted += Long.parseLong(m.group(1));
        incs.put(i, Long.parseLong(m.group(2)));
        pushes += Long.parseLong(m.group(3));
        rejected += Long.parseLong(m.group(4));
        refused += Long.parseLong(m.group(5));
      }
      ObjectNode expected;
      try (DocumentStore store = Cairn.open(location)) {
        SharedObject obj = store.share(name);
        assertThat(obj.version()).isEqualTo(accepted);
        expected = obj.get();
      }
      for (int i = 0; i < processes; i++) {
        assertThat(expected.path("c").path("p" + i).asLong()).isEqualTo(incs.get(i));
      }
      assertThat(expected.path("list").size()).isEqualTo(pushes);
      assertThat(accepted + rejected + refused).isEqualTo((long) processes * count);
      assertThat(replay(location, name)).isEqualTo(new Replay(expected, accepted));
      for (Jvm j : jvms) {
        j.send("await " + accepted);
      }
      for (Jvm j : jvms) {
        assertThat(j.await(l -> l.startsWith("state "), WAIT))
            .isEqualTo("state " + accepted + " " + expected);
        assertThat(j.waitFor(WAIT)).isZero();
      }
    } finally {
      jvms.forEach(Jvm::close);
    }
  }

  private record Replay(ObjectNode state, long accepted) {}

  /**
   * The object as a plain replay of its log gives it: the defaults, then every patch in log order
   * with the time it was sent, a patch that cannot apply being skipped. No entry is taken twice.
   */
  private static Replay replay(String location, String name) {
    try (Backend backend =
        dev.cairn.engine.Backends.open(location, new BackendOptions(Durability.OS))) {
      ObjectNode state = null;
      long accepted = 0;
      for (LogEntry e : backend.read("_shared/" + name, 0)) {
        ObjectNode entry = Json.parseObject(new String(e.payload(), StandardCharsets.UTF_8));
        if (entry.get("k").asText().equals("init") && state == null) {
          state = (ObjectNode) entry.get("state");
        } else if (entry.get("k").asText().equals("patch")) {
          Instant at = Instant.ofEpochMilli(entry.get("at").asLong());
          try {
            state = UpdateOperators.apply(state, entry.get("u"), Clock.fixed(at, ZoneOffset.UTC));
            accepted++;
          } catch (InvalidUpdateException rejected) {
            // rejected where it landed, in every process
          }
        }
      }
      return new Replay(state, accepted);
    }
  }
}
