package dev.cairn.oplog;

import dev.cairn.InvalidDocumentException;
import dev.cairn.engine.LogKind;
import dev.cairn.json.Validation;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The name of one oplog, {@code CHANNEL/TYPE/PATH}, and its key in a store: {@code
 * _oplog/CHANNEL/TYPE/PATH}. Channel and type are names (ids of at most 64 bytes); the path is
 * segments separated by '/', each an id.
 */
public record OplogKey(String channel, String type, String path) {
  private static final int MAX_NAME_BYTES = 64;
  private static final int MAX_PATH_BYTES = 400;

  /** The key of this log in a store. */
  String key() {
    return LogKind.OPLOG.key(channel + "/" + type + "/" + path);
  }

  /** The log a store's {@code key} names, if it is one of {@code channel}'s. */
  static Optional<OplogKey> parse(String key, String channel) {
    String prefix = LogKind.OPLOG.key(channel + "/");
    if (!key.startsWith(prefix)) {
      return Optional.empty();
    }
    String rest = key.substring(prefix.length());
    int slash = rest.indexOf('/');
    return slash <= 0
        ? Optional.empty()
        : Optional.of(new OplogKey(channel, rest.substring(0, slash), rest.substring(slash + 1)));
  }

  /** {@code name}, checked as a channel's or a type's name ({@code what}). */
  static String name(String what, String name) {
    try {
      Validation.id(name);
    } catch (InvalidDocumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage());
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          what + " names are at most " + MAX_NAME_BYTES + " bytes; got " + name);
    }
    return name;
  }

  /** A path of segments separated by '/', each a valid name; leading and trailing '/' dropped. */
  static String path(String path) {
    if (path == null) {
      throw new IllegalArgumentException("path must not be null");
    }
    String trimmed = path.replaceAll("^/+|/+$", "");
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("path must name at least one segment, got '" + path + "'");
    }
    if (trimmed.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("paths are at most " + MAX_PATH_BYTES + " bytes");
    }
    for (String segment : trimmed.split("/", -1)) {
      try {
        Validation.id(segment);
      } catch (InvalidDocumentException e) {
        throw new IllegalArgumentException("path '" + path + "': " + e.getMessage());
      }
    }
    return trimmed;
  }
}
