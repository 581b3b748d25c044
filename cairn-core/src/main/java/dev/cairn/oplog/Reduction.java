package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How every replica turns what it holds of a log into the same value: start from the checkpoint
 * that covers the most, then apply every operation it does not cover, once each, in the order
 * (date, then sha).
 */
public final class Reduction {
  /** Among checkpoints, the one a replica starts from. */
  public static final Comparator<Checkpoint> BEST =
      Comparator.comparingLong(Checkpoint::size)
          .thenComparingLong(Checkpoint::date)
          .thenComparing(Checkpoint::sha);

  private Reduction() {}

  /** The reducer's state for what is held. */
  public static JsonNode state(
      Reducer reducer, Collection<Checkpoint> checkpoints, Collection<Operation> operations) {
    Optional<Checkpoint> start = checkpoints.stream().max(BEST);
    JsonNode state = start.map(Checkpoint::state).orElseGet(reducer::initial);
    for (Operation op : uncovered(start, operations)) {
      state = reducer.apply(state, op);
    }
    return state;
  }

  /** The value readers see for what is held. */
  public static JsonNode value(
      Reducer reducer, Collection<Checkpoint> checkpoints, Collection<Operation> operations) {
    return reducer.view(state(reducer, checkpoints, operations));
  }

  /**
   * A new checkpoint folding in everything held that can be named: each writer's operations up to
   * the first gap in its numbering (there is none when every store got a writer's operations in
   * order, as they are pushed).
   */
  public static Checkpoint checkpoint(
      Reducer reducer,
      Collection<Checkpoint> checkpoints,
      Collection<Operation> operations,
      long date) {
    Optional<Checkpoint> start = checkpoints.stream().max(BEST);
    Map<String, Long> covers = new HashMap<>(start.map(Checkpoint::covers).orElse(Map.of()));
    List<Operation> pending = uncovered(start, operations);
    Map<String, List<Long>> numbers = new HashMap<>();
    for (Operation op : pending) {
      numbers.computeIfAbsent(op.writer(), w -> new ArrayList<>()).add(op.number());
    }
    numbers.forEach(
        (writer, list) -> {
          list.sort(null);
          long upTo = covers.getOrDefault(writer, 0L);
          for (long n : list) {
            if (n != upTo + 1) {
              break;
            }
            upTo = n;
          }
          covers.put(writer, upTo);
        });
    JsonNode state = start.map(Checkpoint::state).orElseGet(reducer::initial);
    for (Operation op : pending) {
      if (op.number() <= covers.get(op.writer())) {
        state = reducer.apply(state, op);
      }
    }
    StringBuilder identity = new StringBuilder().append(date).append('\n');
    new java.util.TreeMap<>(covers)
        .forEach((w, n) -> identity.append(w).append(':').append(n).append('\n'));
    identity.append(dev.cairn.json.Json.write(state));
    return new Checkpoint(
        date,
        Operation.sha(identity.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        state,
        covers);
  }

  /** The operations a start does not cover, each once, in order. */
  static List<Operation> uncovered(Optional<Checkpoint> start, Collection<Operation> operations) {
    Map<String, Operation> bySha = new LinkedHashMap<>();
    for (Operation op : operations) {
      if (start.isEmpty() || !start.get().covers(op)) {
        bySha.putIfAbsent(op.sha(), op);
      }
    }
    List<Operation> ordered = new ArrayList<>(bySha.values());
    ordered.sort(Operation.ORDER);
    return ordered;
  }
}
