package dev.cairn.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.json.Json;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reduction of a shared object's log: what every replica must compute alike. */
class SharedLogTest {
  private final List<LogEntry> log = new ArrayList<>();

  private void append(byte[] payload) {
    log.add(new LogEntry("_shared/x", log.size() + 1, payload));
  }

  private SharedLog.State reduce(List<LogEntry> entries) {
    SharedLog.State s = new SharedLog.State();
    entries.forEach(s::apply);
    return s;
  }

  @Test
  void aPatchResentWithANumberAlreadyAppliedIsIgnored() {
    append(SharedLog.init(Json.parseObject("{\"n\": 0}")));
    byte[] once = SharedLog.patch("w1:1", 0, -1, Json.parseObject("{\"$inc\": {\"n\": 1}}"));
    append(once);
    append(once); // a resend after a failover that raced with the old host's append
    append(SharedLog.patch("w2:1", 0, -1, Json.parseObject("{\"$inc\": {\"n\": 10}}")));
    SharedLog.State s = reduce(log);
    assertThat(s.version()).isEqualTo(2);
    assertThat(s.value()).isEqualTo(Json.parseObject("{\"n\": 11}"));
  }

  @Test
  void onlyTheFirstDefaultsCount() {
    append(SharedLog.init(Json.parseObject("{\"a\": 1}")));
    append(SharedLog.init(Json.parseObject("{\"b\": 2}")));
    assertThat(reduce(log).value()).isEqualTo(Json.parseObject("{\"a\": 1}"));
  }

  @Test
  void currentDateTakesTheSendersTimeSoEveryReplicaAgrees() {
    append(SharedLog.init(Json.parseObject("{}")));
    append(
        SharedLog.patch(
            "w:1", 86_400_000L, -1, Json.parseObject("{\"$currentDate\": {\"d\": true}}")));
    assertThat(reduce(log).value().get("d").asText()).isEqualTo("1970-01-02T00:00:00Z");
  }

  @Test
  void aSnapshotReducesLikeTheLogItReplacesConditionalVerdictsIncluded() {
    append(SharedLog.init(Json.parseObject("{\"a\": 0, \"b\": 0}")));
    for (int i = 1; i <= 5; i++) {
      append(SharedLog.patch("w:" + i, 0, -1, Json.parseObject("{\"$inc\": {\"a\": 1}}")));
    }
    SharedLog.State full = reduce(log);
    byte[] snapshot = full.snapshot();
    List<LogEntry> compacted = new ArrayList<>(List.of(new LogEntry("_shared/x", 7, snapshot)));
    // the same conditional patches after the full log and after the snapshot
    List<byte[]> next =
        List.of(
            SharedLog.patch("v:1", 0, 3, Json.parseObject("{\"$set\": {\"a\": -1}}")),
            SharedLog.patch("v:2", 0, 3, Json.parseObject("{\"$set\": {\"b\": 7}}")),
            SharedLog.patch("w:5", 0, -1, Json.parseObject("{\"$inc\": {\"a\": 100}}")));
    long seq = 8;
    List<SharedLog.Outcome> fromLog = new ArrayList<>();
    List<SharedLog.Outcome> fromSnapshot = new ArrayList<>();
    SharedLog.State again = reduce(compacted);
    for (byte[] p : next) {
      fromLog.add(full.apply(new LogEntry("_shared/x", seq, p)));
      fromSnapshot.add(again.apply(new LogEntry("_shared/x", seq++, p)));
    }
    assertThat(fromLog.get(0).stale()).isTrue(); // a changed after version 3
    assertThat(fromLog.get(1).accepted()).isTrue(); // b did not
    assertThat(fromLog.get(2)).isNull(); // w:5 was applied already
    assertThat(fromSnapshot).isEqualTo(fromLog);
    assertThat(again.value()).isEqualTo(full.value());
    assertThat(again.version()).isEqualTo(full.version()).isEqualTo(6);
  }
}
