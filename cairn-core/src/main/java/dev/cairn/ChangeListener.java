package dev.cairn;

/**
 * Told of every change to a store, made by this process or any other, in sequence order. Called on
 * the store's notifier thread: a slow listener delays the others, and an exception it throws is
 * logged and otherwise ignored.
 */
@FunctionalInterface
public interface ChangeListener {
  void onChange(Change change);

  /**
   * Told when the feed loses the server it follows, has it again, or finds the store reset; does
   * nothing unless overridden.
   */
  default void onFeedNotice(FeedNotice notice) {}
}
