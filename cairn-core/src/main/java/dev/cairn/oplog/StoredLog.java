package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/**
 * What one store holds of one oplog: see {@link StoredChannels#read}.
 *
 * @param name the log's channel, type and path
 * @param checkpoints its checkpoints, in the order the store holds them
 * @param operations its operations, in the order of reduction (date, then sha)
 */
public record StoredLog(OplogKey name, List<Checkpoint> checkpoints, List<Operation> operations) {
  public StoredLog {
    checkpoints = List.copyOf(checkpoints);
    operations = List.copyOf(operations);
  }

  /** The checkpoint a reduction starts from: the one covering the most. */
  public Optional<Checkpoint> start() {
    return checkpoints.stream().max(Reduction.BEST);
  }

  /**
   * The operations the starting checkpoint does not fold in, in the order they apply, each once.
   */
  public List<Operation> pending() {
    return Reduction.uncovered(start(), operations);
  }

  /** The value {@code reducer} gives what this store holds (what a client with it alone reads). */
  public JsonNode value(Reducer reducer) {
    return Reduction.value(reducer, checkpoints, operations);
  }
}
