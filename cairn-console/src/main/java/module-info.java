/** The Cairn console: a store's documents, conflicts and changes over a local HTTP API. */
module dev.cairn.console {
  requires dev.cairn.core;
  requires io.javalin;

  exports dev.cairn.console;
}
