package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client's copy of one oplog: the best checkpoint, the operations it does not cover, what each
 * store of the channel holds, and the value, reduced incrementally. Operations are ordered by
 * (date, sha), so an operation may land anywhere among those of its millisecond: the copy keeps the
 * reducer's state before the latest millisecond and folds that millisecond again from there; an
 * older operation (a late one) means a full reduction.
 *
 * <p>Guarded by its own monitor, except {@link #listeners}.
 */
final class LogCopy {

  /** What one store holds of a log, as far as this client knows. */
  static final class View {
    long head;
    Checkpoint best;
    private final Set<String> held = new HashSet<>();
    final Set<String> lacks = new LinkedHashSet<>(); // known here, not sent there yet

    void holds(String sha) {
      held.add(sha);
      lacks.remove(sha);
    }

    boolean has(Operation op) {
      return held.contains(op.sha()) || (best != null && best.covers(op));
    }
  }

  final OplogKey name;
  final String key;
  final Reducer reducer;
  final Map<String, Operation> ops = new HashMap<>(); // those the best checkpoint does not cover
  final Map<ChannelStore, View> views = new java.util.concurrent.ConcurrentHashMap<>();
  final List<OplogListener> listeners = new CopyOnWriteArrayList<>();
  Checkpoint best;
  JsonNode value;
  boolean loaded; // the first read of every store is done
  boolean failed; // and no store could be read: the log was dropped
  private String writer = newWriter(); // this client, as the writer of this log's operations
  private long counter;
  private JsonNode state; // the reducer's state for value, null when it must be computed afresh
  private JsonNode base; // the state before the operations of the latest millisecond
  private long lastDate = Long.MIN_VALUE;
  private final List<Operation> tail = new ArrayList<>(); // those operations, in order

  LogCopy(OplogKey name, Reducer reducer, List<ChannelStore> stores) {
    this.name = name;
    this.key = name.key();
    this.reducer = reducer;
    stores.forEach(s -> views.put(s, new View()));
    this.value = reducer.view(reducer.initial());
  }

  /** A view of a store added to the channel: it lacks every operation held, and the checkpoint. */
  void addView(ChannelStore store) {
    View view = new View();
    view.lacks.addAll(ops.keySet());
    views.putIfAbsent(store, view);
  }

  /** A new operation of this client, in the copy and lacking in every store. */
  Operation push(long date, JsonNode payload) {
    JsonNode data = reducer.payloadFor(state(), payload);
    Operation op = Operation.create(writer, ++counter, date, name.type(), name.path(), data);
    ops.put(op.sha(), op);
    views.values().forEach(v -> v.lacks.add(op.sha()));
    return op;
  }

  /**
   * Takes back an operation no store acknowledged: it leaves the copy and is never sent. Its number
   * is not given again (a store may yet hold it): the next operations get a new writer id.
   */
  void retract(Operation op) {
    ops.remove(op.sha());
    views.values().forEach(v -> v.lacks.remove(op.sha()));
    writer = newWriter();
    counter = 0;
  }

  /**
   * Takes in what a store's log holds after {@code view.head}.
   *
   * @return whether the copy gained an operation or a better checkpoint
   */
  boolean merge(View view, List<LogEntry> entries) {
    boolean any = false;
    for (LogEntry e : entries) {
      if (e.seq() <= view.head) {
        continue;
      }
      view.head = e.seq();
      Object decoded = Entries.decode(e.payload());
      if (decoded instanceof Operation op) {
        view.holds(op.sha());
        if ((best == null || !best.covers(op)) && ops.putIfAbsent(op.sha(), op) == null) {
          any = true;
          for (View other : views.values()) {
            if (!other.has(op)) {
              other.lacks.add(op.sha());
            }
          }
        }
      } else {
        Checkpoint cp = (Checkpoint) decoded;
        if (view.best == null || Reduction.BEST.compare(cp, view.best) > 0) {
          view.best = cp;
        }
        any |= adopt(cp);
      }
    }
    return any;
  }

  /** Makes {@code cp} the starting point if it covers more; drops what it covers. */
  boolean adopt(Checkpoint cp) {
    if (best != null && Reduction.BEST.compare(cp, best) <= 0) {
      return false;
    }
    best = cp;
    for (Operation op : ops.values()) {
      if (cp.covers(op)) {
        views.values().forEach(v -> v.lacks.remove(op.sha()));
      }
    }
    ops.values().removeIf(cp::covers);
    return true;
  }

  /** Whether every store holds every operation and the best checkpoint. */
  boolean everywhere() {
    for (View view : views.values()) {
      if (!ops.values().stream().allMatch(view::has)
          || (best != null && !java.util.Objects.equals(view.best, best))) {
        return false;
      }
    }
    return true;
  }

  /** The operations every store is known to hold. */
  List<Operation> heldEverywhere() {
    List<Operation> out = new ArrayList<>();
    for (Operation op : ops.values()) {
      if (views.values().stream().allMatch(v -> v.has(op))) {
        out.add(op);
      }
    }
    return out;
  }

  /** The reducer's state of the whole copy. */
  JsonNode state() {
    return state != null ? state : reduce();
  }

  /** The value after {@code op} was added: one step, or the latest millisecond folded again. */
  JsonNode appended(Operation op) {
    if (state == null || op.date() < lastDate) {
      return reducer.view(reduce());
    }
    if (op.date() > lastDate) {
      base = state;
      lastDate = op.date();
      tail.clear();
    }
    int at = Collections.binarySearch(tail, op, Operation.ORDER);
    tail.add(at < 0 ? -at - 1 : at, op);
    return reducer.view(foldTail());
  }

  /** The value reduced afresh from the checkpoint and every operation. */
  JsonNode reduced() {
    return reducer.view(reduce());
  }

  private JsonNode reduce() {
    List<Operation> ordered = new ArrayList<>(ops.values());
    ordered.sort(Operation.ORDER);
    JsonNode s = best == null ? reducer.initial() : best.state();
    lastDate = ordered.isEmpty() ? Long.MIN_VALUE : ordered.get(ordered.size() - 1).date();
    tail.clear();
    for (Operation op : ordered) {
      if (op.date() < lastDate) {
        s = reducer.apply(s, op);
      } else {
        tail.add(op);
      }
    }
    base = s;
    return foldTail();
  }

  private JsonNode foldTail() {
    JsonNode s = base;
    for (Operation op : tail) {
      s = reducer.apply(s, op);
    }
    state = s;
    return s;
  }

  private static String newWriter() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  }
}
