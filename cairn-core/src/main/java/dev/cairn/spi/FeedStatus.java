package dev.cairn.spi;

/**
 * Told when a backend's change feed loses the server it follows and when it has it again, so that a
 * watcher can say so instead of falling silent. Called on the backend's watch thread; must return
 * quickly.
 */
public interface FeedStatus {
  /** Does nothing. */
  FeedStatus NONE =
      new FeedStatus() {
        @Override
        public void lost(Exception cause) {}

        @Override
        public void restored() {}
      };

  /** The feed lost its connection; it keeps trying to get it back. Called once per outage. */
  void lost(Exception cause);

  /**
   * The feed is connected again. Appends made while it was lost are reported through the watch's
   * callback right after.
   */
  void restored();
}
