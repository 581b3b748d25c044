package dev.cairn.spi;

/**
 * Opens backends for the locations it recognises. Implementations are found with {@link
 * java.util.ServiceLoader}: a backend module lists its provider in {@code
 * META-INF/services/dev.cairn.spi.BackendProvider}, and the core needs no change.
 */
public interface BackendProvider {

  /** The location schemes this provider opens, lower case: {@code "redis"}, {@code "file"}. */
  java.util.List<String> schemes();

  /**
   * Opens the store at {@code location}, creating it if it does not exist yet.
   *
   * @throws dev.cairn.InvalidLocationException if the location cannot be parsed or reached
   * @throws dev.cairn.StoreFormatException if it holds something that is not a usable store
   */
  Backend open(String location, BackendOptions options);
}
