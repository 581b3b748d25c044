package dev.cairn.spi;

import dev.cairn.InvalidLocationException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Parsing of store locations: a path, or a URI whose scheme names a backend. */
public final class Locations {
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]+:.*");

  private Locations() {}

  /**
   * Whether {@code location} names a scheme ({@code mem:}, {@code redis://...}) rather than a path.
   */
  public static boolean hasScheme(String location) {
    return SCHEME.matcher(location).matches();
  }

  /** The scheme of a location, lower case, or "file" for a plain path. */
  public static String scheme(String location) {
    return hasScheme(location)
        ? location.substring(0, location.indexOf(':')).toLowerCase(java.util.Locale.ROOT)
        : "file";
  }

  /**
   * The directory a {@code file:} location or a plain path names, with a leading {@code ~} expanded
   * to the user's home directory.
   */
  public static Path path(String location) {
    String path = location;
    if (location.regionMatches(true, 0, "file:", 0, 5)) {
      String rest = location.substring(5);
      if (rest.startsWith("//")) {
        try {
          return Path.of(new URI(location));
        } catch (URISyntaxException | IllegalArgumentException e) {
          throw new InvalidLocationException(
              "cannot parse file location '" + location + "': " + e.getMessage(), e);
        }
      }
      path = rest;
    }
    if (path.isEmpty()) {
      throw new InvalidLocationException("store location names no directory: '" + location + "'");
    }
    if (path.equals("~") || path.startsWith("~/")) {
      path = System.getProperty("user.home") + path.substring(1);
    }
    try {
      return Path.of(path);
    } catch (InvalidPathException e) {
      throw new InvalidLocationException(
          "store location '" + location + "' is not a valid path: " + e.getMessage(), e);
    }
  }

  /** The location with any password in its user-info part replaced by {@code ***}. */
  public static String redact(String location) {
    return location
        .replaceAll("(//[^/:@]*:)[^@/]*@", "$1***@")
        .replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
