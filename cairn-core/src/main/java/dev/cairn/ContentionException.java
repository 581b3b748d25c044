package dev.cairn;

import java.time.Duration;

/**
 * A {@code scoped} function could not get its changes in: other writers changed the value every
 * time, until the attempts or the deadline of its {@link Retry} ran out. Nothing of it was written.
 */
public class ContentionException extends CairnException {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final int attempts;
  private final Duration elapsed;

  public ContentionException(String name, int attempts, Duration elapsed) {
    super(
        "scoped '%s' gave up after %d attempt%s in %d ms: another writer changed it each time"
            .formatted(name, attempts, attempts == 1 ? "" : "s", elapsed.toMillis()));
    this.name = name;
    this.attempts = attempts;
    this.elapsed = elapsed;
  }

  /** The name of the scoped value. */
  public String name() {
    return name;
  }

  /** How many times the function ran. */
  public int attempts() {
    return attempts;
  }

  /** How long it tried. */
  public Duration elapsed() {
    return elapsed;
  }
}
