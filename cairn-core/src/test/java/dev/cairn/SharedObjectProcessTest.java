package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.testkit.Jvm;
import dev.cairn.testkit.ShareWorker;
import dev.cairn.testkit.SharedLoad;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shared objects between real JVMs on one store directory, with a host killed mid-stream. */
class SharedObjectProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir Path dir;

  @Test
  void fourProcessesSendingRandomPatchesEndWithTheSameState() throws Exception {
    SharedLoad.randomPatchesConverge(dir.toString(), 4, 300);
  }

  /** A line "ok version value isHost nanoTime" of the stream mode. */
  private record Ok(long version, long value, boolean host, long at) {
    static Ok parse(String line) {
      String[] p = line.split(" ");
      return new Ok(
          Long.parseLong(p[1]),
          Long.parseLong(p[2]),
          Boolean.parseBoolean(p[3]),
          Long.parseLong(p[4]));
    }
  }

  @Test
  void whenTheHostIsKilledAnotherTakesOverWithinASecondAndNoAcceptedPatchIsLost() throws Exception {
    String name = "failover";
    List<Jvm> jvms = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        jvms.add(Jvm.start(ShareWorker.class, "stream", dir.toString(), name, "" + i));
      }
      int host = -1;
      long[] last = new long[3];
      while (host < 0) {
        for (int i = 0; i < 3; i++) {
          Ok ok = Ok.parse(jvms.get(i).await(l -> l.startsWith("ok "), WAIT));
          last[i] = ok.value();
          if (ok.host() && ok.value() >= 50) {
            host = i;
          }
        }
      }
      long killedAt = System.nanoTime();
      jvms.get(host).kill9();
      long acceptedByKilled = last[host];
      for (String line : jvms.get(host).allLines(WAIT)) {
        if (line.startsWith("ok ")) {
          acceptedByKilled = Math.max(acceptedByKilled, Ok.parse(line).value());
        }
      }
      List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2));
      survivors.remove(Integer.valueOf(host));
      long firstAfterKill = Long.MAX_VALUE;
      boolean newHost = false;
      for (int s : survivors) {
        for (int n = 0; n < 200; n++) {
          Ok ok = Ok.parse(jvms.get(s).await(l -> l.startsWith("ok "), WAIT));
          if (ok.at() > killedAt) {
            firstAfterKill = Math.min(firstAfterKill, ok.at());
          }
          newHost |= ok.host();
        }
      }
      assertThat(newHost).as("a survivor became the host").isTrue();
      assertThat(Duration.ofNanos(firstAfterKill - killedAt)).isLessThan(Duration.ofSeconds(1));
      long[] acceptedBySurvivor = new long[3];
      for (int s : survivors) {
        jvms.get(s).send("stop");
        String stopped = jvms.get(s).await(l -> l.startsWith("stopped "), WAIT);
        acceptedBySurvivor[s] = Long.parseLong(stopped.split(" ")[1]);
      }
      ObjectNode state;
      long version;
      try (DocumentStore store = Cairn.open(dir)) {
        SharedObject obj = store.share(name);
        state = obj.get();
        version = obj.version();
      }
      ObjectNode c = (ObjectNode) state.get("c");
      assertThat(c.get("p" + host).asLong()).isGreaterThanOrEqualTo(acceptedByKilled);
      long total = c.get("p" + host).asLong();
      for (int s : survivors) {
        assertThat(c.get("p" + s).asLong()).isEqualTo(acceptedBySurvivor[s]);
        total += acceptedBySurvivor[s];
      }
      assertThat(version).isEqualTo(total);
      for (int s : survivors) {
        jvms.get(s).send("await " + version);
        assertThat(jvms.get(s).await(l -> l.startsWith("state "), WAIT))
            .isEqualTo("state " + version + " " + state);
      }
    } finally {
      jvms.forEach(Jvm::close);
    }
  }
}
