package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.BootCacheException;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.vertx.grpc.common.GrpcStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "read", mixinStandardHelpOptions = true,
    description = "Reads raw bytes of an image (or, with --disk, a disk) through the cluster, verified; to stdout or -o FILE.")
final class ReadCommand extends ClientCommand {
  /** Bytes per request while streaming a long range out. */
  private static final int PIECE = 8 * 1024 * 1024;

  @Parameters(index = "0", paramLabel = "TARGET", description = "The image id (or the disk id with --disk).")
  String target;

  @Parameters(index = "1", paramLabel = "OFFSET", converter = Sizes.Converter.class, description = "Where to start, in bytes (4k, 1M... accepted).")
  long offset;

  @Parameters(index = "2", paramLabel = "LENGTH", converter = Sizes.Converter.class, description = "How many bytes.")
  long length;

  @Option(names = "--disk", description = "TARGET is a disk id.")
  boolean disk;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the bytes to FILE instead of stdout.")
  Path output;

  @Option(names = "--boot", description = "Read as a boot would: inside a new boot session, so the range is admitted "
      + "into the cache and recorded into the image's boot profile.")
  boolean boot;

  @Override
  int run(BootCacheClient client) throws IOException {
    if (offset < 0) throw new CommandLine.ParameterException(spec.commandLine(), "OFFSET must not be negative, got " + offset);
    if (length <= 0) throw new CommandLine.ParameterException(spec.commandLine(), "LENGTH must be positive, got " + length);
    Target t = disk ? Target.disk(target) : Target.image(target);
    if (length > PIECE || boot) checkRange(client); // a long read must not stop half-written at the end of the image
    Recorder session = boot ? client.startBoot(t, "bootcache-cli") : null;
    try {
      return copy(client, t, session);
    } finally {
      if (session != null) session.close();
    }
  }

  private int copy(BootCacheClient client, Target t, Recorder session) throws IOException {
    // Read the first piece before touching the output: a bad request leaves no empty file behind.
    byte[] first = read(client, t, offset, Math.min(PIECE, length), session);
    OutputStream sink = output == null ? main().rawOut() : new BufferedOutputStream(Files.newOutputStream(output), 1 << 20);
    try {
      sink.write(first);
      for (long done = first.length; done < length; ) {
        byte[] piece = read(client, t, offset + done, Math.min(PIECE, length - done), session);
        sink.write(piece);
        done += piece.length;
      }
      sink.flush();
    } finally {
      if (output != null) sink.close();
    }
    if (output != null) {
      spec.commandLine().getErr().println("read " + Sizes.human(length) + " of " + t + " at offset " + offset + " to " + output);
      spec.commandLine().getErr().flush();
    }
    return Main.EXIT_OK;
  }

  private static byte[] read(BootCacheClient client, Target t, long at, long n, Recorder session) {
    if (session == null) return client.readBlocking(t, at, n);
    session.read(at, n);
    return client.readBlocking(t, at, n, session.sessionId());
  }

  private void checkRange(BootCacheClient client) {
    long size = disk
        ? client.disks().stream().filter(d -> d.getId().equals(target)).mapToLong(d -> d.getSize()).findFirst().orElse(-1)
        : client.images().stream().filter(i -> i.getId().equals(target)).mapToLong(i -> i.getSize()).findFirst().orElse(-1);
    if (size < 0) {
      throw new BootCacheException(GrpcStatus.NOT_FOUND, "no " + (disk ? "disk " : "image ") + target + " is registered");
    }
    if (offset + length > size) {
      throw new BootCacheException(GrpcStatus.OUT_OF_RANGE, "range " + offset + "+" + length + " is past the end of "
          + (disk ? "disk " : "image ") + target + " (" + size + " bytes)");
    }
  }
}
