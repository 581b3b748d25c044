package dev.cairn.spi;

import dev.cairn.Durability;

/**
 * Settings a backend is opened with.
 *
 * @param durability what an append has survived when it returns
 * @param create whether to create the store if there is none at the location; when false, a backend
 *     that finds no store fails with {@link dev.cairn.InvalidLocationException} and creates nothing
 */
public record BackendOptions(Durability durability, boolean create) {
  public BackendOptions {
    if (durability == null) {
      throw new IllegalArgumentException("durability must not be null");
    }
  }

  /** Options that create the store if there is none. */
  public BackendOptions(Durability durability) {
    this(durability, true);
  }
}
