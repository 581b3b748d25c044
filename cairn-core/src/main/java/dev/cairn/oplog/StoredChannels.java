package dev.cairn.oplog;

import dev.cairn.engine.LogKind;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The oplog channels one store holds, read as they are, without reconciling them with any other
 * store: what a tool shows of a store ({@code cairn console}). Get one from {@link
 * dev.cairn.DocumentStore#channels()}; clients of a channel use {@link OplogClient}.
 */
public final class StoredChannels {
  private final Backend backend;

  /** The channels held by {@code backend}, which stays the caller's. */
  public StoredChannels(Backend backend) {
    this.backend = backend;
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
}
