package dev.cairn;

import dev.cairn.testkit.SharedObjectContract;

/**
 * The shared-object contract on {@code mem:}, whose data lives as long as its one handle: the
 * "second handle" is the first, so two replicas share one store, ordered by it.
 */
class MemorySharedObjectTest extends SharedObjectContract {
  @Override
  protected DocumentStore create() {
    return Cairn.open("mem:");
  }

  @Override
  protected DocumentStore reopen() {
    return one;
  }
}
