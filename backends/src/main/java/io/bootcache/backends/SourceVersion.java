package io.bootcache.backends;

/**
 * Which version of a remote object a source reads: its strong ETag and Last-Modified, remembered at
 * registration so that a replaced object is refused rather than mixed with what the cache holds.
 * Empty strings where the server gave none.
 */
public record SourceVersion(String etag, String lastModified) {
  public static final SourceVersion NONE = new SourceVersion("", "");

  public SourceVersion {
    etag = etag == null ? "" : etag;
    lastModified = lastModified == null ? "" : lastModified;
  }

  public boolean isNone() {
    return etag.isEmpty() && lastModified.isEmpty();
  }
}
