package io.bootcache.backends;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Opens an image's location: a file path or {@code file:} URI, {@code nbd://HOST[:PORT]/EXPORT} or
 * {@code nbd+unix:///EXPORT?socket=PATH} (libnbd's URI forms), or an {@code http://} or
 * {@code https://} URL read with range GETs.
 */
public final class ImageSources {
  private ImageSources() {}

  /** The kind of a location, from its form alone. */
  public enum Kind { FILE, NBD, HTTP, UNSUPPORTED }

  private static final Pattern OTHER_URL = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");

  public static Kind kind(String location) {
    String lower = location.toLowerCase(Locale.ROOT);
    if (lower.startsWith("nbd://") || lower.startsWith("nbd+unix://")) return Kind.NBD;
    if (lower.startsWith("http://") || lower.startsWith("https://")) return Kind.HTTP;
    if (!lower.startsWith("file:") && OTHER_URL.matcher(location).matches()) return Kind.UNSUPPORTED;
    return Kind.FILE;
  }

  /** True for a file path or {@code file:} URI: the only kind a full clone or a resync source may be. */
  public static boolean isFile(String location) {
    return kind(location) == Kind.FILE;
  }

  /** A file location (an absolute path or a {@code file:} URI) as a path. */
  public static Path path(String location) throws BadLocationException {
    try {
      return location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
    } catch (IllegalArgumentException e) {
      throw new BadLocationException("location '" + location + "' is not a file path, file: URI, nbd:// or http(s):// URL");
    }
  }

  /**
   * Opens the location, checking that it is there and readable; a remote one is reached within the
   * options' timeouts. {@code pin}: the version registered (reads of another version are refused), or
   * {@link SourceVersion#NONE} to take the current one.
   *
   * @throws BadLocationException when the location is wrong (malformed, missing, no range support, changed)
   * @throws IOException          when it cannot be reached now
   */
  public static ImageSource open(String location, SourceOptions options, SourceVersion pin) throws IOException {
    if (location == null || location.isBlank()) throw new BadLocationException("location is missing");
    return switch (kind(location)) {
      case NBD -> new NbdSource(location, options);
      case HTTP -> new HttpSource(location, options, pin);
      case FILE -> new FileSource(location, path(location));
      case UNSUPPORTED -> throw new BadLocationException("location '" + location + "' has a scheme bootcache does not "
          + "read; use a file path or file: URI, nbd://, nbd+unix:// or http(s):// (TLS to NBD servers is not supported)");
    };
  }
}
