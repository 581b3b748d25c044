package dev.cairn.oplog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.json.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Operations, checkpoints and the built-in reducers: what every replica computes alike. */
class ReductionTest {
  private static JsonNode json(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Operation op(String writer, long n, long date, String payload) {
    return Operation.create(writer, n, date, "t", "p", json(payload));
  }

  @Test
  void equalPayloadsPushedInOneMillisecondAreTwoOperations() {
    Operation a = op("w", 1, 1000, "1");
    Operation b = op("w", 2, 1000, "1");
    assertThat(a.sha()).isNotEqualTo(b.sha()).hasSize(32);
    assertThat(Reduction.value(Reducers.counter(), List.of(), List.of(a, b)).asLong()).isEqualTo(2);
    // the same operation held twice (by two stores) counts once
    assertThat(Reduction.value(Reducers.counter(), List.of(), List.of(a, b, a)).asLong())
        .isEqualTo(2);
  }

  @Test
  void theOrderIsTotalSoArrivalOrderDoesNotMatter() {
    List<Operation> ops = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      ops.add(op("w" + (i % 3), i / 3 + 1, 1000 + i % 7, "{\"$push\": {\"l\": " + i + "}}"));
    }
    JsonNode expected = Reduction.value(Reducers.document(), List.of(), ops);
    Random rnd = new Random(1);
    for (int k = 0; k < 20; k++) {
      Collections.shuffle(ops, rnd);
      assertThat(Reduction.value(Reducers.document(), List.of(), ops)).isEqualTo(expected);
    }
  }

  @Test
  void theRegisterKeepsTheLastInOrderWhateverArrivesLateAndFalsyValuesAreValues() {
    Reducer r = Reducers.register();
    assertThat(Reduction.value(r, List.of(), List.of()).isNull()).isTrue();
    Operation newer = op("a", 1, 2000, "0");
    Operation older = op("b", 1, 1000, "\"late\"");
    assertThat(Reduction.value(r, List.of(), List.of(newer, older))).isEqualTo(json("0"));
    for (String falsy : List.of("0", "false", "\"\"", "null")) {
      Operation set = op("c", 1, 3000, falsy);
      Checkpoint cp = Reduction.checkpoint(r, List.of(), List.of(newer, set), 4000);
      assertThat(Reduction.value(r, List.of(cp), List.of(older))).isEqualTo(json(falsy));
    }
  }

  @Test
  void theSetKeepsAnAddTheRemoverHadNotSeen() {
    Reducer set = Reducers.addWinsSet();
    Operation add1 = op("a", 1, 1000, "{\"add\": \"x\"}");
    Operation add2 = op("b", 1, 1001, "{\"add\": \"x\"}"); // concurrent with the remove
    Operation remove =
        op("c", 1, 1002, "{\"remove\": \"x\", \"observed\": [\"" + add1.sha() + "\"]}");
    Operation addY = op("a", 2, 1003, "{\"add\": {\"y\": [1]}}");
    assertThat(Reduction.value(set, List.of(), List.of(add1, remove))).isEqualTo(json("[]"));
    assertThat(Reduction.value(set, List.of(), List.of(add1, add2, remove, addY)))
        .isEqualTo(json("[\"x\", {\"y\": [1]}]"));
  }

  @Test
  void aDocumentUpdateThatCannotApplyChangesNothingAndCurrentDateTakesTheOperationsDate() {
    Operation set =
        op("a", 1, 86_400_000L, "{\"$set\": {\"s\": \"text\"}, \"$currentDate\": {\"d\": true}}");
    Operation bad = op("b", 1, 86_400_001L, "{\"$inc\": {\"s\": 1}}");
    assertThat(Reduction.value(Reducers.document(), List.of(), List.of(set, bad)))
        .isEqualTo(json("{\"s\": \"text\", \"d\": \"1970-01-02T00:00:00Z\"}"));
  }

  @Test
  void aLateOperationIsAppliedOverACheckpointAndACoveredOneIsNotAppliedAgain() {
    Reducer counter = Reducers.counter();
    List<Operation> early = List.of(op("a", 1, 5000, "1"), op("a", 2, 5001, "2"));
    Checkpoint cp = Reduction.checkpoint(counter, List.of(), early, 6000);
    assertThat(cp.covers()).containsEntry("a", 2L);
    // an offline writer whose clock is an hour behind comes back; a stale copy of a:2 comes too
    Operation late = op("offline", 1, 5000 - 3_600_000, "10");
    assertThat(Reduction.value(counter, List.of(cp), List.of(late, early.get(1))).asLong())
        .isEqualTo(13);
  }

  @Test
  void aGapInAWritersNumbersStopsTheCheckpointThere() {
    Reducer counter = Reducers.counter();
    List<Operation> held = List.of(op("a", 1, 1, "1"), op("a", 3, 3, "100"), op("b", 1, 2, "10"));
    Checkpoint cp = Reduction.checkpoint(counter, List.of(), held, 10);
    assertThat(cp.covers()).containsEntry("a", 1L).containsEntry("b", 1L);
    assertThat(cp.state().asLong()).isEqualTo(11);
    Operation a2 = op("a", 2, 2, "1000");
    assertThat(Reduction.value(counter, List.of(cp), List.of(held.get(1), a2)).asLong())
        .isEqualTo(1111);
  }

  /**
   * Random histories: three writers, checkpoints taken along the way from prefixes of what was
   * pushed, operations held in any order and more than once. The counter always ends at the exact
   * sum: pruning neither loses nor doubles an operation.
   */
  @Test
  void checkpointsNeverLoseOrDoubleAnOperation() {
    Random rnd = new Random(42);
    Reducer counter = Reducers.counter();
    for (int round = 0; round < 200; round++) {
      long[] next = new long[3];
      List<Operation> pushed = new ArrayList<>();
      List<Checkpoint> checkpoints = new ArrayList<>();
      long sum = 0;
      for (int i = 0; i < 40; i++) {
        int w = rnd.nextInt(3);
        long amount = rnd.nextInt(100) - 20;
        sum += amount;
        pushed.add(op("w" + w, ++next[w], rnd.nextInt(1000), String.valueOf(amount)));
        if (rnd.nextInt(8) == 0) {
          checkpoints.add(Reduction.checkpoint(counter, checkpoints, pushed, rnd.nextInt(1000)));
        }
      }
      List<Operation> held = new ArrayList<>(pushed);
      held.addAll(pushed.subList(0, rnd.nextInt(pushed.size()))); // copies from other stores
      Collections.shuffle(held, rnd);
      // a replica that dropped what its best checkpoint covers
      List<Operation> pruned = new ArrayList<>(held);
      checkpoints.stream().max(Reduction.BEST).ifPresent(best -> pruned.removeIf(best::covers));
      assertThat(Reduction.value(counter, checkpoints, held).asLong()).isEqualTo(sum);
      assertThat(Reduction.value(counter, checkpoints, pruned).asLong()).isEqualTo(sum);
    }
  }
}
