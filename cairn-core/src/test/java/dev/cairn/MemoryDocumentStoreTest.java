package dev.cairn;

/** The contract on the {@code mem:} backend. */
class MemoryDocumentStoreTest extends DocumentStoreContract {
  @Override
  protected DocumentStore newStore() {
    return Cairn.open("mem:");
  }
}
