package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * How a client's copies of logs and the stores of their channels are brought to hold the same
 * operations: reading what a store has, sending it what it lacks, and pruning by checkpoints
 * decided in one store, so that they form one chain. Called from the stores' threads and from
 * {@code push}; a log's copy is guarded by its monitor, and one store's view of it by the view's.
 */
final class Reconciler {
  private final Map<String, List<ChannelStore>> channels;
  private final Clock clock;
  private final int pruneAfter;
  private final BiConsumer<LogCopy, JsonNode> publish;

  /**
   * @param publish makes a value the log's value and tells its listeners; called under the log's
   *     monitor
   */
  Reconciler(
      Map<String, List<ChannelStore>> channels,
      Clock clock,
      int pruneAfter,
      BiConsumer<LogCopy, JsonNode> publish) {
    this.channels = channels;
    this.clock = clock;
    this.pruneAfter = pruneAfter;
    this.publish = publish;
  }

  /** Reads what a store appended since the last read; false if it cannot be reached. */
  boolean read(LogCopy log, ChannelStore store) {
    Backend backend = store.backend();
    if (backend == null) {
      return false;
    }
    LogCopy.View view = log.views.get(store);
    if (view == null) {
      return false; // the store left the channel
    }
    List<LogEntry> entries;
    try {
      long head;
      synchronized (log) {
        head = view.head;
      }
      entries = backend.read(log.key, head);
    } catch (RuntimeException e) {
      store.failed(e);
      return false;
    }
    store.answered();
    if (!entries.isEmpty()) {
      synchronized (log) {
        log.notifyAll(); // a push may wait for a store to hold its operation
        if (log.merge(view, entries)) {
          publish.accept(log, log.reduced());
          channels.get(log.name.channel()).forEach(ChannelStore::wake); // the others may lack it
        }
      }
    }
    return true;
  }

  /**
   * Brings one store up to date with this client's copy: reads what it has, then sends it the best
   * checkpoint and the operations it lacks, each writer's in its order.
   *
   * @return whether the store now holds everything this client holds
   */
  boolean deliver(LogCopy log, ChannelStore store) {
    LogCopy.View view = log.views.get(store);
    if (view == null) {
      return false; // the store left the channel
    }
    synchronized (view) {
      if (!read(log, store)) {
        return false;
      }
      List<byte[]> payloads = new ArrayList<>();
      List<Operation> missing = new ArrayList<>();
      Checkpoint checkpoint;
      synchronized (log) {
        checkpoint = log.best != null && !Objects.equals(view.best, log.best) ? log.best : null;
        for (String sha : view.lacks) {
          Operation op = log.ops.get(sha);
          if (op != null && !view.has(op)) {
            missing.add(op);
          }
        }
      }
      if (checkpoint == null && missing.isEmpty()) {
        return true;
      }
      missing.sort(Comparator.comparing(Operation::writer).thenComparingLong(Operation::number));
      if (checkpoint != null) {
        payloads.add(Entries.encode(checkpoint));
      }
      missing.forEach(op -> payloads.add(Entries.encode(op)));
      Backend backend = store.backend();
      try {
        backend.append(log.key, Backend.ANY_HEAD, payloads);
      } catch (RuntimeException e) {
        store.failed(e); // the next round tries again
        return false;
      }
      store.answered();
      synchronized (log) {
        missing.forEach(op -> view.holds(op.sha()));
        if (checkpoint != null) {
          view.best = checkpoint;
        }
        log.notifyAll(); // a push may wait for a store to hold its operation
      }
      return true;
    }
  }

  /** Delivers to every store in turn, then writes a checkpoint if one is due. */
  void reconcile(LogCopy log) {
    List<ChannelStore> stores = channels.get(log.name.channel());
    for (ChannelStore store : stores) {
      deliver(log, store);
    }
    if (checkpointIfDue(log)) {
      for (ChannelStore store : stores) {
        deliver(log, store);
      }
    }
  }

  /**
   * Folds into a checkpoint the operations every store of the channel is known to hold, once there
   * are {@code pruneAfter} of them. The checkpoint is written first to the channel's primary store
   * (its first shared one) with a conditional append, right after what this client has read of it
   * and based on the checkpoint that store holds: so checkpoints form one chain, each covering its
   * predecessor, however many clients prune at once. The stores' threads then deliver it to the
   * others.
   */
  boolean checkpointIfDue(LogCopy log) {
    if (pruneAfter == 0) {
      return false;
    }
    ChannelStore primary = primary(log.name.channel());
    LogCopy.View view = log.views.get(primary);
    if (view == null) {
      return false; // the stores changed meanwhile: decide on the next round
    }
    Checkpoint cp;
    synchronized (view) {
      if (!read(log, primary)) {
        return false;
      }
      long head;
      synchronized (log) {
        if (!Objects.equals(view.best, log.best)) {
          return false; // the primary does not hold this client's base yet
        }
        List<Operation> everywhere = log.heldEverywhere();
        if (everywhere.size() < pruneAfter) {
          return false;
        }
        cp =
            Reduction.checkpoint(
                log.reducer,
                log.best == null ? List.of() : List.of(log.best),
                everywhere,
                clock.millis());
        head = view.head;
      }
      Backend backend = primary.backend();
      try {
        if (backend == null || backend.append(log.key, head, List.of(Entries.encode(cp))) == 0) {
          return false; // another entry came first: decide again on it next round
        }
      } catch (RuntimeException e) {
        primary.failed(e);
        return false;
      }
      synchronized (log) {
        view.best = cp;
        log.adopt(cp);
        publish.accept(log, log.reduced());
      }
    }
    channels.get(log.name.channel()).forEach(ChannelStore::wake);
    return true;
  }

  /** The store checkpoints are decided in: the channel's first shared store, else its first. */
  private ChannelStore primary(String channel) {
    List<ChannelStore> stores = channels.get(channel);
    return stores.stream().filter(s -> !s.local).findFirst().orElse(stores.get(0));
  }
}
