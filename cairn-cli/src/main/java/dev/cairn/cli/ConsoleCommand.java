package dev.cairn.cli;

import dev.cairn.DocumentStore;
import dev.cairn.console.Console;
import dev.cairn.oplog.StoredChannels;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code cairn console}: the web console of a store (docs/console.md). */
@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a web page that shows the store: its documents, their history, differences and"
          + " conflicts (and settling them), every change as it happens from any process, its"
          + " shared objects (and patching them), its oplog channels, its size, compaction and"
          + " check (docs/console.md). A node's store (cairn+https://) shows its channels.",
      "It listens on 127.0.0.1 unless told otherwise, and prints its address with a token drawn"
          + " for this start; every request needs that token. It runs until stopped."
    })
final class ConsoleCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      description = "The address to listen on. Default: 127.0.0.1 (this machine only).")
  String host = "127.0.0.1";

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "The port to listen on; 0 picks a free one. Default: 0.")
  int port;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port is 0 to 65535, got " + port);
    }
    StoredChannels channels = StoredChannels.open(main.location()); // the store must exist
    String shown = channels.location(); // passwords hidden
    Console console;
    Runnable closeStore;
    if (channels.holdsDocuments()) {
      channels.close();
      DocumentStore documents = main.openExisting();
      console = new Console(documents, host, port);
      closeStore = documents::close;
    } else {
      console = Console.ofChannels(channels, host, port); // a node's store: channels only
      closeStore = channels::close;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  console.close();
                  closeStore.run();
                }));
    spec.commandLine()
        .getOut()
        .println(
            "cairn console of "
                + shown
                + ": http://"
                + host
                + ":"
                + console.port()
                + "/#token="
                + console.token());
    spec.commandLine().getOut().flush();
    Thread.currentThread().join();
    return Main.OK;
  }
}
