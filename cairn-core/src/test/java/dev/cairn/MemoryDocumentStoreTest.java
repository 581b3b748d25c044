package dev.cairn;

import dev.cairn.testkit.DocumentStoreContract;

/** The contract on the {@code mem:} backend. */
class MemoryDocumentStoreTest extends DocumentStoreContract {
  @Override
  protected DocumentStore newStore() {
    return Cairn.open("mem:");
  }
}
