package dev.cairn;

import com.fasterxml.jackson.databind.JsonNode;

/** Told of changes under a path of a shared object; see {@link SharedObject#observe}. */
@FunctionalInterface
public interface PathListener {
  /**
   * @param path the path observed ("" for the whole object)
   * @param value the value now at the path (a copy), or null if there is none
   * @param version the object's version after the change
   */
  void onChange(String path, JsonNode value, long version);
}
