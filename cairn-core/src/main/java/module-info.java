/**
 * Cairn's core: the API ({@code dev.cairn}), oplogs ({@code dev.cairn.oplog}) and the backend SPI
 * ({@code dev.cairn.spi}), with the {@code file:} and {@code mem:} backends. The other packages are
 * not an API: they are exported only to Cairn's own modules that need them.
 */
module dev.cairn.core {
  requires transitive com.fasterxml.jackson.databind;
  requires com.github.benmanes.caffeine;
  requires static micrometer.core; // only a store given a MeterRegistry uses it

  exports dev.cairn;
  exports dev.cairn.oplog;
  exports dev.cairn.spi;
  exports dev.cairn.json to
      dev.cairn.http,
      dev.cairn.node,
      dev.cairn.cli;
  exports dev.cairn.engine to
      dev.cairn.redis,
      dev.cairn.http,
      dev.cairn.node;

  uses dev.cairn.spi.BackendProvider;
  uses dev.cairn.spi.MountTableProvider;

  provides dev.cairn.spi.BackendProvider with
      dev.cairn.file.FileBackendProvider,
      dev.cairn.memory.MemoryBackendProvider;
}
