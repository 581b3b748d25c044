package dev.cairn.spi;

import dev.cairn.Durability;

/**
 * Settings a backend is opened with.
 *
 * @param durability what an append has survived when it returns
 */
public record BackendOptions(Durability durability) {
  public BackendOptions {
    if (durability == null) {
      throw new IllegalArgumentException("durability must not be null");
    }
  }
}
