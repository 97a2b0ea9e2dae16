package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.v1.Image;
import io.bootcache.v1.ListImagesResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;

@Command(name = "image", mixinStandardHelpOptions = true, description = "Golden images: register, list.",
    subcommands = {ImageCommand.Register.class, ImageCommand.ListImages.class})
final class ImageCommand {

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = {"Registers an image: immutable raw bytes on the backend that VMs boot from.",
          "The node checks the location now: a file must be a readable regular file; an NBD export or HTTP(S) "
              + "object must be reachable and, over HTTP, answer range GETs (206 with Content-Range). Its size is "
              + "read from it, and an HTTP object's ETag or Last-Modified is kept: if the object is replaced later, "
              + "reads of it are refused rather than mixed. Nodes read it under their --backend-iops and "
              + "--backend-bandwidth; a client whose cluster is gone reads the same location itself."})
  static final class Register extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The image id: 1 to 128 of [A-Za-z0-9._-].")
    String id;

    @Parameters(index = "1", paramLabel = "LOCATION", description = {"Where the image lives, one of:",
        "- a file every node can read, by its absolute path under one of their --image-root directories;",
        "- an NBD export (nbdkit, qemu-nbd): nbd://HOST[:PORT]/EXPORT (port 10809 by default) or "
            + "nbd+unix:///EXPORT?socket=PATH;",
        "- an object on a web server or object store, read with range GETs: http://HOST/PATH or https://HOST/PATH."})
    String location;

    @Option(names = "--block-size", paramLabel = "N", defaultValue = "0", converter = Sizes.Converter.class,
        description = "Block size, a power of two from 512 to 64 KiB (default: 4096).")
    long blockSize;

    @Option(names = "--pin-blocks", description = {"Pin the hash of every block: the node reads the image whole once "
        + "(1 GiB: seconds, under --backend-iops and --backend-bandwidth) and keeps its block manifest, 32 bytes per "
        + "block, in its --manifest-memory; clients then check every block a node answers against it, so a node that "
        + "answers one block with another's bytes is caught."})
    boolean pinBlocks;

    @Option(names = "--json", description = "Print the image as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      if (blockSize < 0 || blockSize > Integer.MAX_VALUE) throw new IllegalArgumentException("--block-size " + blockSize + " is out of range");
      Image image = client.registerImage(id, location, (int) blockSize, pinBlocks);
      if (json) out().println(Json.of(image));
      else out().println("registered image " + image.getId() + ": " + Sizes.human(image.getSize()) + ", "
          + Sizes.human(image.getBlockSize()) + " blocks" + (image.getBlockManifestDigest().isEmpty() ? "" : ", pinned")
          + ", " + image.getLocation());
      out().flush();
      return Main.EXIT_OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the registered images.")
  static final class ListImages extends ClientCommand {
    @Option(names = "--json", description = "Print the list as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      var images = client.images();
      if (json) {
        out().println(Json.of(ListImagesResponse.newBuilder().addAllImages(images).build()));
      } else if (images.isEmpty()) {
        out().println("no images registered");
      } else {
        Table t = new Table("ID", "SIZE", "BLOCK", "PINNED", "REGISTERED", "LOCATION").right(1, 2);
        for (Image i : images) {
          t.row(i.getId(), Sizes.human(i.getSize()), Sizes.human(i.getBlockSize()),
              i.getBlockManifestDigest().isEmpty() ? "no" : "blocks",
              Instant.ofEpochMilli(i.getRegisteredAtMs()).toString(), i.getLocation());
        }
        t.print(out());
      }
      out().flush();
      return Main.EXIT_OK;
    }
  }
}
