package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A value that stands for a prefix of history, so that the operations it folds in can be dropped:
 * GiG.fs's "value" entry, made safe against late operations. It folds in exactly the operations its
 * {@link #covers} names: for each writer, its operations numbered up to the count given. An
 * operation not covered, however old its date (an offline writer, a wrong clock), is applied on top
 * of it, so pruning never loses one.
 *
 * <p>A checkpoint is only written when every store of a channel holds the same operations; as
 * stores only gain operations, two checkpoints always cover nested sets, and the one covering more
 * is the one every replica starts from.
 *
 * @param date when it was made (informative)
 * @param sha its identity
 * @param state the reducer's state after the covered operations, in order
 * @param covers per writer, the number of its last operation folded in
 */
public record Checkpoint(long date, String sha, JsonNode state, Map<String, Long> covers) {
  public Checkpoint {
    covers = Map.copyOf(covers);
  }

  /** Whether {@code op} is folded into this checkpoint. */
  public boolean covers(Operation op) {
    Long upTo = covers.get(op.writer());
    return upTo != null && op.number() <= upTo;
  }

  /** How many operations it folds in. */
  public long size() {
    return covers.values().stream().mapToLong(Long::longValue).sum();
  }
}
