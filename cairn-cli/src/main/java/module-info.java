/** The {@code cairn} command. Every backend is a service it finds at run time. */
module dev.cairn.cli {
  requires dev.cairn.core;
  requires dev.cairn.node;
  requires dev.cairn.console;
  requires info.picocli;
  requires java.net.http;
  requires jdk.httpserver;

  opens dev.cairn.cli to
      info.picocli;
}
