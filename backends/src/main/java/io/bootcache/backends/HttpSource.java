package io.bootcache.backends;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An object on an HTTP(S) server (a web server, an object store's URL), read with range GETs. The
 * server must answer {@code 206} with the exact {@code Content-Range} asked for; one that sends the
 * whole object instead is refused at registration. Reads are pinned to the version seen then: a
 * strong ETag goes as {@code If-Match}, else Last-Modified as {@code If-Unmodified-Since}, and a
 * replaced object is refused ({@code 412}), never mixed with the old one.
 */
final class HttpSource implements ImageSource {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

  private final String location;
  private final URI uri;
  private final SourceOptions options;
  private final HttpClient client;
  private final long size;
  private final SourceVersion version;

  HttpSource(String location, SourceOptions options, SourceVersion expected) throws IOException {
    this.location = location;
    this.options = options;
    this.uri = parse(location);
    this.client = HttpClient.newBuilder()
        .connectTimeout(options.connectTimeout())
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    // one byte: says whether ranges are honoured, the size, and the version, for the price of a HEAD
    HttpResponse<byte[]> first = get(0, 1, expected);
    this.size = checkAnswer(first, 0, 1, -1, expected);
    SourceVersion seen = new SourceVersion(strongEtag(first), first.headers().firstValue("Last-Modified").orElse(""));
    this.version = expected.isNone() ? seen : expected;
  }

  @Override
  public String location() { return location; }

  @Override
  public long size() { return size; }

  @Override
  public SourceVersion version() { return version; }

  @Override
  public void readFully(long offset, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    checkRange(offset, length);
    if (length == 0) return;
    HttpResponse<byte[]> response = get(offset, length, version);
    checkAnswer(response, offset, length, size, version);
    dst.put(response.body());
  }

  private HttpResponse<byte[]> get(long offset, int length, SourceVersion pin) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(options.readTimeout())
        .header("Range", "bytes=" + offset + "-" + (offset + length - 1));
    if (!pin.etag().isEmpty()) {
      request.header("If-Match", pin.etag());
    } else if (!pin.lastModified().isEmpty()) {
      request.header("If-Unmodified-Since", pin.lastModified());
    }
    CompletableFuture<HttpResponse<byte[]>> sent = client.sendAsync(request.build(), exactly(length));
    try {
      // the request's own timeout ends at the headers; this one bounds the body too
      return sent.get(options.readTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      sent.cancel(true);
      throw new IOException(uri + " did not answer a read of " + offset + "+" + length + " within "
          + options.readTimeout().toMillis() + " ms");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(uri.toString())) throw io;
      throw new IOException("cannot read " + uri + ": " + cause, cause);
    } catch (InterruptedException e) {
      sent.cancel(true);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading " + uri, e);
    }
  }

  /**
   * Takes the body of a {@code 206} of at most {@code length} bytes into one array of that size, and
   * discards any other answer's body: memory stays bounded whatever the server sends.
   */
  private BodyHandler<byte[]> exactly(int length) {
    return info -> info.statusCode() == 206 ? new BoundedBody(length, uri.toString())
        : BodySubscribers.replacing(null);
  }

  /** Checks the answer to a range GET; returns the object's size from its Content-Range. */
  private long checkAnswer(HttpResponse<byte[]> response, long offset, int length, long expectedSize, SourceVersion pin)
      throws IOException {
    int status = response.statusCode();
    switch (status) {
      case 206 -> { }
      case 200 -> throw new BadLocationException(uri + " does not honour Range requests (it answered 200 with the "
          + "whole object); serve images from a server that does (nginx, Apache, an object store)");
      case 412 -> throw new BadLocationException(uri + " changed since it was registered (its ETag or Last-Modified "
          + "no longer matches " + pin + "); register the new content under a new image id");
      case 404, 410 -> throw new BadLocationException(uri + " does not exist (HTTP " + status + ")");
      case 401, 403 -> throw new BadLocationException(uri + " is not readable (HTTP " + status + ")");
      case 416 -> throw new BadLocationException(uri + " refused the range " + offset + "+" + length
          + " (HTTP 416): the object is empty or shorter than registered");
      default -> throw new IOException(uri + " answered HTTP " + status + " to a read of " + offset + "+" + length);
    }
    String header = response.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(header);
    if (!m.matches()) throw new BadLocationException(uri + " answered 206 without a usable Content-Range ('" + header + "')");
    long first = Long.parseLong(m.group(1));
    long last = Long.parseLong(m.group(2));
    long total = Long.parseLong(m.group(3));
    if (first != offset || last != offset + length - 1) {
      throw new IOException(uri + " answered bytes " + first + "-" + last + " to a request for " + offset + "-" + (offset + length - 1));
    }
    if (expectedSize >= 0 && total != expectedSize) {
      throw new BadLocationException(uri + " now has " + total + " bytes, not " + expectedSize + ": the object changed");
    }
    Optional<String> etag = response.headers().firstValue("ETag");
    if (!pin.etag().isEmpty() && etag.isPresent() && !etag.get().equals(pin.etag())) {
      throw new BadLocationException(uri + " answered with ETag " + etag.get() + ", not " + pin.etag()
          + ": the object changed (and the server ignored If-Match)");
    }
    if (response.body() == null || response.body().length != length) {
      throw new IOException(uri + " sent " + (response.body() == null ? 0 : response.body().length) + " of " + length + " bytes");
    }
    return total;
  }

  private static String strongEtag(HttpResponse<?> response) {
    String etag = response.headers().firstValue("ETag").orElse("");
    // a weak ETag never matches an If-Match: Last-Modified pins such objects instead
    return etag.startsWith("W/") ? "" : etag;
  }

  private static URI parse(String location) throws BadLocationException {
    try {
      URI u = new URI(location);
      if (u.getHost() == null) throw new BadLocationException("no host in '" + location + "' (http(s)://HOST[:PORT]/PATH)");
      return u;
    } catch (URISyntaxException e) {
      throw new BadLocationException("not a URL: '" + location + "' (" + e.getReason() + ")", e);
    }
  }

  @Override
  public void close() {
    // HttpClient (Java 17) has no close: its connections end when it is collected
  }
}
