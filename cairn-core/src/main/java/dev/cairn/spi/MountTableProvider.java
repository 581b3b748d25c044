package dev.cairn.spi;

import java.util.List;
import java.util.Map;

/**
 * Reads a user's mount table: which stores hold each of the user's oplog channels. Found with
 * {@link java.util.ServiceLoader}, as {@link BackendProvider}s are: the {@code cairn-http} module
 * reads a Cairn node's table.
 */
public interface MountTableProvider {
  /** The URL schemes of the tables this provider reads, lower case: {@code "http"}. */
  List<String> schemes();

  /**
   * The user's channels, each with the locations of its stores in the mount's order (its first
   * shared store decides checkpoints), ready to open.
   *
   * @throws dev.cairn.AccessDeniedException if the table refuses the session token
   * @throws dev.cairn.UnavailableException if the table does not answer
   */
  Map<String, List<String>> mounts(String tableUrl, String sessionToken);
}
