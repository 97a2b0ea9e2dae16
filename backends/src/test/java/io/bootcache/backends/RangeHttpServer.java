package io.bootcache.backends;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server for the tests (the JDK's), serving the files of one directory as a web server
 * or object store does: single byte ranges ({@code 206} with Content-Range), a strong ETag and
 * Last-Modified from the file's size and modification time, and {@code If-Match} answered with
 * {@code 412}. {@link #honourRanges(boolean)} turns it into a server that sends whole objects.
 */
public final class RangeHttpServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

  private final Path root;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(8);
  private final AtomicLong rangeGets = new AtomicLong();
  private volatile boolean ranges = true;

  public RangeHttpServer(Path root) throws IOException {
    this.root = root;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /** The URL of a file under the root. */
  public String url(String name) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
  }

  public void honourRanges(boolean honour) {
    ranges = honour;
  }

  /** Range GETs answered with 206 so far. */
  public long rangeGets() {
    return rangeGets.get();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      Path file = root.resolve(x.getRequestURI().getPath().substring(1)).normalize();
      if (!file.startsWith(root) || !Files.isRegularFile(file)) {
        x.sendResponseHeaders(404, -1);
        return;
      }
      long size = Files.size(file);
      long mtime = Files.getLastModifiedTime(file).toMillis();
      String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(mtime) + "\"";
      x.getResponseHeaders().set("ETag", etag);
      x.getResponseHeaders().set("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(
          ZonedDateTime.ofInstant(Instant.ofEpochMilli(mtime), ZoneOffset.UTC)));
      String ifMatch = x.getRequestHeaders().getFirst("If-Match");
      if (ifMatch != null && !ifMatch.equals(etag) && !ifMatch.equals("*")) {
        x.sendResponseHeaders(412, -1);
        return;
      }
      String range = x.getRequestHeaders().getFirst("Range");
      long first = 0;
      long last = size - 1;
      int status = 200;
      if (ranges && range != null) {
        Matcher m = RANGE.matcher(range);
        if (!m.matches() || Long.parseLong(m.group(1)) >= size) {
          x.getResponseHeaders().set("Content-Range", "bytes */" + size);
          x.sendResponseHeaders(416, -1);
          return;
        }
        first = Long.parseLong(m.group(1));
        last = Math.min(size - 1, Long.parseLong(m.group(2)));
        status = 206;
        x.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + size);
        rangeGets.incrementAndGet();
      }
      long length = last - first + 1;
      boolean head = x.getRequestMethod().equals("HEAD");
      x.sendResponseHeaders(status, head ? -1 : length);
      if (head) return;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); OutputStream out = x.getResponseBody()) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        for (long at = first; at <= last; ) {
          buf.clear().limit((int) Math.min(buf.capacity(), last + 1 - at));
          int n = ch.read(buf, at);
          if (n < 0) break;
          out.write(buf.array(), 0, n);
          at += n;
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
