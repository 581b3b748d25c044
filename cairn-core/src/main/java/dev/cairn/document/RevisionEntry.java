package dev.cairn.document;

import dev.cairn.StorageException;
import dev.cairn.json.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One revision of a document: the entry a document's log is made of.
 *
 * <p>Payload layout (all lengths unsigned):
 *
 * <pre>
 * offset  size  field
 * 0       1     format: 2 (the body is RFC 8785 JSON), or 1 (written before it; read, never written)
 * 1       1     flags: bit 0 = deleted (tombstone)
 * 2       1     length R of the revision id
 * 3       R     revision id, ASCII, "generation-hash"
 * 3+R     1     length P of the parent revision id, 0 for a first revision
 * 4+R     P     parent revision id, ASCII
 * 4+R+P   ...   the body: canonical JSON (see Json.canonical), without _id and _rev
 * </pre>
 *
 * <p>The id's hash is over the body's bytes as stored, so a format-1 revision keeps its id: its
 * body is never rewritten. Only the bytes a new revision hashes changed with format 2: numbers as
 * RFC 8785 writes them, so {@code 1e15} and {@code 1000000000000000} give the same revision.
 *
 * @param rev this revision's id
 * @param parent the parent's revision id, or null for a first revision
 * @param deleted whether this revision is a deletion
 * @param body the canonical JSON body
 */
public record RevisionEntry(String rev, String parent, boolean deleted, byte[] body, byte format) {
  /** The format of the revisions written now. */
  public static final byte FORMAT = 2;

  /** The format before RFC 8785; read, and kept by backups of older stores. */
  public static final byte LEGACY_FORMAT = 1;

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new AssertionError("every JVM has SHA-256", e);
            }
          });
  private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

  /** A new revision as a child of {@code parent} (null for a first revision). */
  public static RevisionEntry create(String parent, boolean deleted, byte[] body) {
    return create(parent, deleted, body, FORMAT);
  }

  /** A revision of the given format, whose body is canonical in that format's rules. */
  public static RevisionEntry create(String parent, boolean deleted, byte[] body, byte format) {
    int generation = parent == null ? 1 : generation(parent) + 1;
    return new RevisionEntry(
        generation + "-" + hash(parent, deleted, body), parent, deleted, body, format);
  }

  /** A tombstone child of {@code parent}. */
  public static RevisionEntry tombstone(String parent) {
    return create(parent, true, EMPTY_OBJECT);
  }

  /** The generation of a revision id: the number before the dash. */
  public static int generation(String rev) {
    return Integer.parseInt(rev, 0, rev.indexOf('-'), 10);
  }

  /** The hash part of a revision id: 128 bits of SHA-256 over parent, deletion flag and body. */
  static String hash(String parent, boolean deleted, byte[] body) {
    MessageDigest sha = SHA256.get();
    sha.reset();
    sha.update((parent == null ? "" : parent).getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) '\n');
    sha.update(deleted ? (byte) '1' : (byte) '0');
    sha.update((byte) '\n');
    sha.update(body);
    return HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  public byte[] encode() {
    byte[] r = rev.getBytes(StandardCharsets.US_ASCII);
    byte[] p = parent == null ? new byte[0] : parent.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer buf = ByteBuffer.allocate(4 + r.length + p.length + body.length);
    buf.put(format).put((byte) (deleted ? 1 : 0));
    buf.put((byte) r.length).put(r).put((byte) p.length).put(p).put(body);
    return buf.array();
  }

  public static RevisionEntry decode(byte[] payload) {
    Header h = header(payload);
    int bodyStart = h.bodyOffset;
    byte[] body = new byte[payload.length - bodyStart];
    System.arraycopy(payload, bodyStart, body, 0, body.length);
    return new RevisionEntry(h.rev, h.parent, h.deleted, body, payload[0]);
  }

  /** The fields before the body, without copying the body. */
  public static Header header(byte[] payload) {
    if (payload.length < 4 || (payload[0] != FORMAT && payload[0] != LEGACY_FORMAT)) {
      throw new StorageException(
          "unknown revision entry format " + (payload.length == 0 ? "(empty)" : payload[0]), null);
    }
    boolean deleted = (payload[1] & 1) != 0;
    int r = payload[2] & 0xff;
    String rev = new String(payload, 3, r, StandardCharsets.US_ASCII);
    int p = payload[3 + r] & 0xff;
    String parent = p == 0 ? null : new String(payload, 4 + r, p, StandardCharsets.US_ASCII);
    return new Header(rev, parent, deleted, 4 + r + p);
  }

  /**
   * What is wrong with an encoded entry, or null if nothing is: its fields must frame, its id must
   * be the generation after its parent's and the hash of its parent, deletion flag and body, and a
   * live revision's body must be a JSON object.
   */
  public static String fault(byte[] payload) {
    Header h;
    try {
      if (payload.length >= 3 && 4 + (payload[2] & 0xff) > payload.length) {
        return "its header runs past its end";
      }
      h = header(payload);
      if (h.bodyOffset() > payload.length) {
        return "its header runs past its end";
      }
    } catch (StorageException | IndexOutOfBoundsException e) {
      return "it is not a revision entry: " + e.getMessage();
    }
    if (!h.rev().matches("[1-9][0-9]{0,8}-[0-9a-f]{32}")
        || h.parent() != null && !h.parent().matches("[1-9][0-9]{0,8}-[0-9a-f]{32}")) {
      return "revision id " + h.rev() + " or its parent's is malformed";
    }
    int expected = h.parent() == null ? 1 : generation(h.parent()) + 1;
    byte[] body = java.util.Arrays.copyOfRange(payload, h.bodyOffset(), payload.length);
    if (generation(h.rev()) != expected
        || !h.rev().endsWith("-" + hash(h.parent(), h.deleted(), body))) {
      return "revision " + h.rev() + " does not match its content";
    }
    if (!h.deleted()) {
      try {
        Json.readStored(payload, h.bodyOffset(), payload.length - h.bodyOffset());
      } catch (RuntimeException e) {
        return "revision " + h.rev() + " has a body that is not a JSON object";
      }
    }
    return null;
  }

  /** The fields of an encoded entry before its body. */
  public record Header(String rev, String parent, boolean deleted, int bodyOffset) {}
}
