package dev.cairn;

/** A registered listener; closing it stops the notifications. Closing twice does nothing. */
public interface Subscription extends AutoCloseable {
  @Override
  void close();
}
