package io.bootcache.node.catalog;

import io.bootcache.backends.BadLocationException;
import io.bootcache.backends.ImageSource;
import io.bootcache.backends.ImageSources;
import io.bootcache.backends.SourceOptions;
import io.bootcache.backends.SourceVersion;
import io.bootcache.node.ApiError;
import io.bootcache.v1.Image;
import java.io.IOException;

/**
 * Registration of an image that lives on an NBD export or an HTTP(S) server: it must be reachable,
 * honour ranges, and hold at least a byte; its size and (for HTTP) its version are read from it.
 */
final class RemoteImages {
  private RemoteImages() {}

  static void describe(String what, String location, Image.Builder image) {
    try (ImageSource source = ImageSources.open(location.trim(), SourceOptions.DEFAULTS, SourceVersion.NONE)) {
      if (source.size() == 0) throw ApiError.invalid(what + ": " + location + " is empty");
      image.setLocation(source.location())
          .setSize(source.size())
          .setSourceEtag(source.version().etag())
          .setSourceLastModified(source.version().lastModified());
    } catch (BadLocationException e) {
      throw ApiError.invalid(what + ": " + e.getMessage());
    } catch (IOException e) {
      throw ApiError.unavailable(what + ": cannot reach " + location + ": " + e.getMessage());
    }
  }
}
