package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns a log's operations into its value. It must be deterministic (the same state and operation
 * give the same result in every process) and must not modify the state it is given. An operation it
 * cannot use should leave the state as it is, not throw.
 */
public interface Reducer {
  /** The state of a log without operations. */
  JsonNode initial();

  /** The state after {@code op}. */
  JsonNode apply(JsonNode state, Operation op);

  /**
   * The payload an operation pushed on {@code state} carries: the one given, unless the reducer
   * records what the pusher saw (an add-wins set's remove names the adds it observed, so that a
   * concurrent add survives it).
   */
  default JsonNode payloadFor(JsonNode state, JsonNode payload) {
    return payload;
  }

  /** What readers are given for a state; the state itself unless the reducer keeps more. */
  default JsonNode view(JsonNode state) {
    return state;
  }
}
