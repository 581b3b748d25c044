package dev.cairn.engine;

import java.util.Set;

/**
 * The kinds of log a store holds, told apart by their key: the one place that names them. A key
 * that begins with "_" is Cairn's own; every other key is a document's.
 */
public enum LogKind {
  /** A document's revisions: the key is the document's id. */
  DOCUMENT("", false),
  /** A shared object's defaults, patches and snapshots: {@code _shared/NAME}. */
  SHARED_OBJECT("_shared/", true, "init", "patch", "snap"),
  /** An oplog channel's operations and checkpoints: {@code _oplog/CHANNEL/TYPE/PATH}. */
  OPLOG("_oplog/", true, "op", "cp"),
  /** How far replication from another store has got: {@code _replication/STORE-ID}. */
  REPLICATION("_replication/", false),
  /** A key of Cairn's own that this version does not know: kept whole, never interpreted. */
  RESERVED("_", false);

  private final String prefix;
  private final boolean backedUp;
  private final Set<String> entryTypes;

  LogKind(String prefix, boolean backedUp, String... entryTypes) {
    this.prefix = prefix;
    this.backedUp = backedUp;
    this.entryTypes = Set.of(entryTypes);
  }

  /** The kind of {@code key}'s log. */
  public static LogKind of(String key) {
    if (!key.startsWith("_")) {
      return DOCUMENT;
    }
    for (LogKind kind : values()) {
      if (kind != DOCUMENT && kind != RESERVED && key.startsWith(kind.prefix)) {
        return kind;
      }
    }
    return RESERVED;
  }

  /** Whether {@code key} names a log of this kind. */
  public boolean holds(String key) {
    return of(key) == this;
  }

  /** What keys of this kind begin with ("" for documents). */
  public String prefix() {
    return prefix;
  }

  /** The key of {@code name}'s log of this kind. */
  public String key(String name) {
    return prefix + name;
  }

  /** The name in {@code key}, a key of this kind. */
  public String name(String key) {
    if (!holds(key)) {
      throw new IllegalArgumentException(key + " is not a key of a " + this + " log");
    }
    return key.substring(prefix.length());
  }

  /**
   * Whether a faithful backup carries these logs entry by entry (documents are carried as
   * revisions; replication checkpoints describe this store's dealings with others, and are left
   * out).
   */
  public boolean backedUpAsEntries() {
    return backedUp;
  }

  /** The types ({@code "k"}) an entry of this kind may have; empty where entries are not JSON. */
  public Set<String> entryTypes() {
    return entryTypes;
  }
}
