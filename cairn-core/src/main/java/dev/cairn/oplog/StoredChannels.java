package dev.cairn.oplog;

import dev.cairn.Durability;
import dev.cairn.engine.Backends;
import dev.cairn.engine.LogKind;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The oplog channels one store holds, read as they are, without reconciling them with any other
 * store: what a tool shows of a store ({@code cairn console}). Get one from {@link
 * dev.cairn.DocumentStore#channels()}; clients of a channel use {@link OplogClient}.
 */
public final class StoredChannels implements AutoCloseable {
  private final Backend backend;
  private final boolean owned;

  /**
   * The channels held by {@code backend}, which stays the caller's: closing this leaves it open.
   */
  public StoredChannels(Backend backend) {
    this(backend, false);
  }

  private StoredChannels(Backend backend, boolean owned) {
    this.backend = backend;
    this.owned = owned;
  }

  /**
   * Opens the channels of the store at {@code location}, which must exist: any backend, a node's
   * store ({@code cairn+https://}) included. Closing it closes the connection.
   *
   * @throws dev.cairn.InvalidLocationException if there is no store there or it refuses the
   *     credentials
   */
  public static StoredChannels open(String location) {
    return new StoredChannels(
        Backends.open(location, new BackendOptions(Durability.SYNC, false)), true);
  }

  /** The store's location (passwords hidden). */
  public String location() {
    return backend.location();
  }

  /**
   * Whether the store can hold documents too; a node's store holds channels only (a retry after a
   * lost connection may append twice, which documents cannot take).
   */
  public boolean holdsDocuments() {
    return backend.exactlyOnceAppends();
  }

  /** The names of the channels with at least one log here, sorted. */
  public List<String> channels() {
    return backend.keys(LogKind.OPLOG.prefix()).stream()
        .map(key -> LogKind.OPLOG.name(key))
        .filter(name -> name.indexOf('/') > 0)
        .map(name -> name.substring(0, name.indexOf('/')))
        .distinct()
        .sorted()
        .toList();
  }

  /** The logs of {@code channel} held here, sorted by type and path. */
  public List<OplogKey> logs(String channel) {
    OplogKey.name("channel", channel);
    return backend.keys(LogKind.OPLOG.key(channel + "/")).stream()
        .flatMap(key -> OplogKey.parse(key, channel).stream())
        .sorted(Comparator.comparing(OplogKey::type).thenComparing(OplogKey::path))
        .toList();
  }

  /**
   * What this store holds of one log.
   *
   * @throws IllegalArgumentException if the channel, type or path is not a valid name
   */
  public StoredLog read(String channel, String type, String path) {
    OplogKey log =
        new OplogKey(
            OplogKey.name("channel", channel), OplogKey.name("type", type), OplogKey.path(path));
    List<Checkpoint> checkpoints = new ArrayList<>();
    List<Operation> operations = new ArrayList<>();
    for (LogEntry e : backend.read(log.key(), 0)) {
      if (Entries.decode(e.payload()) instanceof Operation op) {
        operations.add(op);
      } else {
        checkpoints.add((Checkpoint) Entries.decode(e.payload()));
      }
    }
    operations.sort(Operation.ORDER);
    return new StoredLog(log, checkpoints, operations);
  }

  /** Closes the connection if {@link #open} made it; a store's own view leaves the store open. */
  @Override
  public void close() {
    if (owned) {
      backend.close();
    }
  }
}
