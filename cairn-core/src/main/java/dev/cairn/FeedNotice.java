package dev.cairn;

/**
 * What a store's change feed says about itself, so that a listener never falls silent without
 * knowing why.
 *
 * @param kind what happened
 * @param message one line for people, naming the store and the cause
 */
public record FeedNotice(Kind kind, String message) {
  /** What happened to the feed. */
  public enum Kind {
    /** The feed lost the server it follows; it keeps trying, and no change is missed meanwhile. */
    LOST,
    /** The feed has the server again; the changes made while it was lost are delivered next. */
    RESTORED,
    /**
     * The store's changes went back to an earlier sequence number than those delivered (a server
     * restarted without its data, or the store was replaced): its changes are delivered again from
     * its start.
     */
    RESET
  }
}
