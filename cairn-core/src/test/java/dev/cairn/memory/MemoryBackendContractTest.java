package dev.cairn.memory;

import dev.cairn.spi.Backend;
import dev.cairn.testkit.BackendContract;

/** The backend contract on a {@code mem:} store: one store in memory, reached by two threads. */
class MemoryBackendContractTest extends BackendContract {
  private final MemoryBackend store = new MemoryBackend("mem:");

  @Override
  protected Backend open() {
    return store; // a mem: store lives in its one handle; closing it twice is allowed
  }
}
