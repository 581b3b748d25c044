package dev.cairn.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.AccessDeniedException;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidDocumentException;
import dev.cairn.NotFoundException;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The table of a Cairn node: users with a master secret, their sessions, and their mount tables
 * (which stores hold each of their channels), kept as documents in a Cairn store so that the node
 * inherits the store's durability.
 *
 * <ul>
 *   <li>Secrets are stored only as PBKDF2-HMAC-SHA256 hashes with a random salt, and compared in
 *       constant time.
 *   <li>Session tokens are 256 random bits; only their SHA-256 is stored, so the table's data gives
 *       no usable token. A session expires at the time set when it was opened, and can be revoked;
 *       both are checked on every use. Sessions live in a store of their own, one log each, and
 *       {@link #sweep} removes the expired ones for good.
 *   <li>A wrong secret and an unknown user are refused alike, at the same cost.
 * </ul>
 */
public final class NodeTable {
  /** The PBKDF2 iteration count for new secrets (OWASP's recommendation for HMAC-SHA256). */
  public static final int DEFAULT_ITERATIONS = 600_000;

  private static final int MIN_SECRET_LENGTH = 12;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String REFUSED = "unknown user or wrong secret";

  private final DocumentStore store;
  private final Backend sessions;
  private final Clock clock;
  private final int iterations;
  private volatile byte[] storeTokenKey;

  private static final String STORE_TOKEN_PREFIX = "st.";
  private static final String STORE_TOKEN_KEY_ID = "secret:store-tokens";

  /**
   * @param store users and mount tables
   * @param sessions the sessions, a log each
   */
  public NodeTable(DocumentStore store, Backend sessions, Clock clock, int iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be positive");
    }
    this.store = store;
    this.sessions = sessions;
    this.clock = clock;
    this.iterations = iterations;
  }

  /**
   * An open session.
   *
   * @param token what the user presents; never logged ({@link #toString()} hides it)
   * @param user whose session it is
   * @param expires when it stops being accepted
   */
  public record Session(String token, String user, Instant expires) {
    @Override
    public String toString() {
      return "Session[user=" + user + ", expires=" + expires + "]";
    }
  }

  /**
   * Creates a user.
   *
   * @throws ConflictException if the user exists
   * @throws InvalidDocumentException if the name is not valid or the secret shorter than 12
   */
  public void createUser(String user, char[] secret) {
    checkUser(user);
    if (secret == null || secret.length < MIN_SECRET_LENGTH) {
      throw new InvalidDocumentException(
          "a master secret has at least " + MIN_SECRET_LENGTH + " characters");
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("_id", "user:" + user);
    doc.put("salt", Base64.getEncoder().encodeToString(salt));
    doc.put("iterations", iterations);
    doc.put("hash", Base64.getEncoder().encodeToString(hash(secret, salt, iterations)));
    doc.put("created", clock.instant().toString());
    try {
      store.create(doc);
    } catch (ConflictException e) {
      throw new ConflictException("user:" + user, e.currentRev(), "user " + user + " exists");
    }
  }

  /**
   * Opens a session if the secret is the user's.
   *
   * @throws AccessDeniedException for an unknown user or a wrong secret, alike
   */
  public Session login(String user, char[] secret, Duration ttl) {
    checkUser(user);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("a session lasts a positive time");
    }
    JsonNode doc = store.get("user:" + user).orElse(null);
    if (doc == null || secret == null) {
      // the same work as a real check, so that time tells nothing of who exists
      hash(secret == null ? new char[] {'x'} : secret, new byte[16], iterations);
      throw new AccessDeniedException(REFUSED);
    }
    byte[] salt = Base64.getDecoder().decode(doc.get("salt").asText());
    byte[] expected = Base64.getDecoder().decode(doc.get("hash").asText());
    if (!MessageDigest.isEqual(expected, hash(secret, salt, doc.get("iterations").asInt()))) {
      throw new AccessDeniedException(REFUSED);
    }
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Instant expires = clock.instant().plus(ttl);
    String userRev = doc.get("_rev").asText();
    sessions.append(
        sessionKey(token), 0, List.of(sessionEntry(user, userRev, expires.toEpochMilli(), false)));
    return new Session(token, user, expires);
  }

  /**
   * A session's record; {@code userRev} ties it to the user record it was opened under, so a
   * removed user's sessions stay refused even if the name is added again.
   */
  private static byte[] sessionEntry(String user, String userRev, long expires, boolean revoked) {
    ObjectNode session = Json.MAPPER.createObjectNode();
    session.put("user", user);
    if (userRev != null) {
      session.put("userRev", userRev);
    }
    session.put("expires", expires);
    session.put("revoked", revoked);
    return Json.write(session).getBytes(StandardCharsets.UTF_8);
  }

  /** The users, sorted by name, each with when it was created. */
  public List<Map<String, String>> users() {
    List<Map<String, String>> users = new ArrayList<>();
    for (String id : store.ids()) {
      if (id.startsWith("user:")) {
        store
            .get(id)
            .ifPresent(
                d -> {
                  Map<String, String> one = new LinkedHashMap<>();
                  one.put("user", id.substring(5));
                  one.put("created", d.path("created").asText());
                  users.add(one);
                });
      }
    }
    return users;
  }

  /**
   * Removes a user: its sessions are refused from now on, on every store. What its channels hold
   * and its mounts stay; a user added later under the same name gets them, not the old sessions.
   *
   * @throws NotFoundException if there is no such user
   */
  public void removeUser(String user) {
    checkUser(user);
    if (store.get("user:" + user).isEmpty()) {
      throw new NotFoundException("no user " + user);
    }
    store.delete("user:" + user);
  }

  /**
   * The user a token belongs to, if it is valid now.
   *
   * @throws AccessDeniedException if the token is unknown, expired or revoked
   */
  public String authenticate(String token) {
    return userOf(session(token));
  }

  /** The user of a session record, if it is valid now. */
  private String userOf(JsonNode session) {
    if (session.get("revoked").asBoolean()) {
      throw new AccessDeniedException("the session was revoked");
    }
    if (clock.millis() >= session.get("expires").asLong()) {
      throw new AccessDeniedException("the session expired");
    }
    String user = session.get("user").asText();
    JsonNode record = store.get("user:" + user).orElse(null);
    if (record == null
        || (session.has("userRev")
            && !session.get("userRev").asText().equals(record.get("_rev").asText()))) {
      throw new AccessDeniedException("the session's user was removed");
    }
    return user;
  }

  /**
   * A store token: what a client presents to one store instead of its session token, so that a
   * store never holds a credential it could use at the table or at another store. It names its
   * session (by the hash the table keys sessions by) and the store it is for, and is signed with
   * the table's secret; it is valid while its session is, so it expires and is revoked with it.
   *
   * @param token what the client presents to the store; never logged
   * @param expires its session's expiry
   */
  public record StoreToken(String token, Instant expires) {
    @Override
    public String toString() {
      return "StoreToken[expires=" + expires + "]";
    }
  }

  /**
   * Issues the session's token for the store at {@code store} (its URL: scheme, host, port).
   *
   * @throws AccessDeniedException if the session is not valid now
   * @throws IllegalArgumentException if {@code store} is not an http(s) URL of a host
   */
  public StoreToken storeToken(String sessionToken, String store) {
    JsonNode session = session(sessionToken);
    userOf(session);
    String sessionHash = tokenHash(sessionToken);
    String token =
        STORE_TOKEN_PREFIX + sessionHash + "." + storeTokenMac(sessionHash, audience(store));
    return new StoreToken(token, Instant.ofEpochMilli(session.get("expires").asLong()));
  }

  /**
   * The user of a store token, if it was issued for {@code store} and its session is valid now.
   *
   * @throws AccessDeniedException otherwise: a session token, a token for another store, a revoked
   *     or expired session, a removed user, anything forged
   */
  public String authenticateStore(String token, String store) {
    if (token == null || !token.startsWith(STORE_TOKEN_PREFIX) || token.length() > 200) {
      throw new AccessDeniedException("not a store token");
    }
    String rest = token.substring(STORE_TOKEN_PREFIX.length());
    int dot = rest.indexOf('.');
    if (dot != 64) {
      throw new AccessDeniedException("not a store token");
    }
    String sessionHash = rest.substring(0, dot);
    byte[] given = rest.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
    byte[] expected =
        storeTokenMac(sessionHash, audience(store)).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) {
      throw new AccessDeniedException("not a token for this store");
    }
    return userOf(sessionByHash(sessionHash));
  }

  /** {@code store} as a store token names it: {@code scheme://host:port}, lower case. */
  static String audience(String store) {
    java.net.URI uri;
    try {
      uri = java.net.URI.create(store == null ? "" : store.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a store is named by its URL, http(s)://host:port");
    }
    String scheme =
        uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https"))
        || uri.getHost() == null
        || uri.getRawUserInfo() != null
        || (uri.getRawPath() != null
            && !uri.getRawPath().isEmpty()
            && !uri.getRawPath().equals("/"))
        || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("a store is named by its URL, http(s)://host:port");
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return scheme + "://" + uri.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + port;
  }

  private String storeTokenMac(String sessionHash, String audience) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(storeTokenKey(), "HmacSHA256"));
      byte[] out = mac.doFinal((sessionHash + "\n" + audience).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The table's key for store tokens: drawn once, kept with the users. */
  private byte[] storeTokenKey() {
    byte[] key = storeTokenKey;
    if (key != null) {
      return key;
    }
    JsonNode doc = store.get(STORE_TOKEN_KEY_ID).orElse(null);
    if (doc == null) {
      byte[] raw = new byte[32];
      RANDOM.nextBytes(raw);
      ObjectNode created = Json.MAPPER.createObjectNode();
      created.put("_id", STORE_TOKEN_KEY_ID);
      created.put("key", Base64.getEncoder().encodeToString(raw));
      try {
        store.create(created);
      } catch (ConflictException e) {
        // another thread or process drew it first: theirs is the key
      }
      doc = store.get(STORE_TOKEN_KEY_ID).orElseThrow();
    }
    storeTokenKey = Base64.getDecoder().decode(doc.get("key").asText());
    return storeTokenKey;
  }

  /** Ends a session at once, for every store that checks it. Revoking twice does nothing. */
  public void revoke(String token) {
    JsonNode session = session(token);
    if (session.has("_id")) { // a session opened by an older node, kept as a document
      ObjectNode revoked = session.deepCopy();
      revoked.put("revoked", true);
      store.upsert(revoked);
      return;
    }
    sessions.append(
        sessionKey(token),
        Backend.ANY_HEAD,
        List.of(
            sessionEntry(
                session.get("user").asText(),
                session.path("userRev").textValue(),
                session.get("expires").asLong(),
                true)));
  }

  /**
   * Removes every session that has expired, for good (revoked or not: either way it is refused).
   *
   * @return how many were removed
   */
  public long sweep() {
    long now = clock.millis();
    java.util.concurrent.atomic.AtomicLong removed = new java.util.concurrent.atomic.AtomicLong();
    sessions.compact(
        (key, entries) -> {
          if (entries.isEmpty()) {
            return entries;
          }
          LogEntry last = entries.get(entries.size() - 1);
          JsonNode s = Json.readStored(last.payload(), 0, last.payload().length);
          if (now >= s.get("expires").asLong()) {
            removed.incrementAndGet();
            return List.of();
          }
          return List.of(last);
        });
    for (String id : store.ids()) {
      if (id.startsWith("session:")
          && store.get(id).map(d -> now >= d.get("expires").asLong()).orElse(false)) {
        store.delete(id); // an older node's session document
        removed.incrementAndGet();
      }
    }
    return removed.get();
  }

  /** Sets which stores hold one of the user's channels. */
  public void mount(String user, String channel, List<String> stores) {
    checkUser(user);
    Validation.id(channel);
    if (stores == null || stores.isEmpty()) {
      throw new InvalidDocumentException("a channel is mounted on at least one store");
    }
    store.scoped(
        "mounts:" + user,
        doc -> {
          ObjectNode channels = doc.withObjectProperty("channels");
          channels
              .putArray(channel)
              .addAll(stores.stream().map(Json.MAPPER.getNodeFactory()::textNode).toList());
          return null;
        });
  }

  /** The user's channels and the stores of each. */
  public Map<String, List<String>> mounts(String user) {
    checkUser(user);
    Map<String, List<String>> out = new LinkedHashMap<>();
    store
        .get("mounts:" + user)
        .ifPresent(
            doc ->
                doc.path("channels")
                    .fields()
                    .forEachRemaining(
                        f -> {
                          List<String> stores = new ArrayList<>();
                          f.getValue().forEach(s -> stores.add(s.asText()));
                          out.put(f.getKey(), stores);
                        }));
    return out;
  }

  private JsonNode session(String token) {
    if (token == null || token.isEmpty() || token.length() > 100) {
      throw new AccessDeniedException("no token, or not one of this node's");
    }
    return sessionByHash(tokenHash(token));
  }

  private JsonNode sessionByHash(String hash) {
    List<LogEntry> log = sessions.read("s/" + hash, 0);
    if (!log.isEmpty()) {
      byte[] last = log.get(log.size() - 1).payload();
      return Json.readStored(last, 0, last.length);
    }
    return store
        .get("session:" + hash) // opened by an older node
        .orElseThrow(() -> new AccessDeniedException("no such session"));
  }

  private static String sessionKey(String token) {
    return "s/" + tokenHash(token);
  }

  private static String tokenHash(String token) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkUser(String user) {
    Validation.id(user);
    if (user.length() > 64 || user.contains(":")) {
      throw new InvalidDocumentException("a user name has at most 64 characters and no ':'");
    }
  }

  private static byte[] hash(char[] secret, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(secret, salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } finally {
      spec.clearPassword();
    }
  }
}
