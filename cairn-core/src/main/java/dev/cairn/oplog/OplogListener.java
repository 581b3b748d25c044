package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;

/** Told of a log's new value; see {@link OplogClient#on}. */
@FunctionalInterface
public interface OplogListener {
  void onChange(String channel, String type, String path, JsonNode value);
}
