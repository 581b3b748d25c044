/**
 * The {@code cairn+http://} and {@code cairn+https://} backend: a node's stores, over the JDK's
 * client.
 */
module dev.cairn.http {
  requires dev.cairn.core;
  requires java.net.http;

  provides dev.cairn.spi.BackendProvider with
      dev.cairn.http.HttpBackendProvider;
  provides dev.cairn.spi.MountTableProvider with
      dev.cairn.http.NodeMountTables;
}
