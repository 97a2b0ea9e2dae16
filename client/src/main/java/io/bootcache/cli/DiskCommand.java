package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.ListDisksResponse;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "disk", mixinStandardHelpOptions = true, description = "VM boot disks over images: register, list, resync, reset.",
    subcommands = {DiskCommand.Register.class, DiskCommand.ListDisks.class, DiskCommand.Resync.class, DiskCommand.Reset.class})
final class DiskCommand {

  static String describe(Disk d) {
    return "disk " + d.getId() + " over image " + d.getImageId() + ": " + mode(d.getMode()) + ", " + Sizes.human(d.getSize())
        + ", " + state(d) + (d.getLocation().isEmpty() ? "" : ", " + d.getLocation());
  }

  static String mode(CloneMode m) {
    return m == CloneMode.FULL ? "full clone" : "linked clone";
  }

  static String state(Disk d) {
    return d.getState() == DiskState.STALE ? "STALE (" + d.getStaleReason() + ")" : "active";
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = "Registers a VM's boot disk: a linked clone of an image, or with --full a full clone with its own file.")
  static final class Register extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The disk id: 1 to 128 of [A-Za-z0-9._-].")
    String id;

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "The image the disk starts from.")
    String image;

    @Option(names = "--full", description = "A full clone: the disk owns a copy of the image (give --location).")
    boolean full;

    @Option(names = "--location", paramLabel = "FILE", description = "A full clone's own backing file (absolute path), same size as the image, under one of the nodes' --disk-root directories.")
    String location;

    @Option(names = "--json", description = "Print the disk as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      if (full && (location == null || location.isBlank())) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--full needs --location FILE (the clone's own file)");
      }
      if (!full && location != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--location is only for a full clone (add --full)");
      }
      Disk d = client.registerDisk(id, image, full ? CloneMode.FULL : CloneMode.LINKED, full ? location : "");
      out().println(json ? Json.of(d) : "registered " + describe(d));
      out().flush();
      return Main.EXIT_OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the registered disks.")
  static final class ListDisks extends ClientCommand {
    @Option(names = "--json", description = "Print the list as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      var disks = client.disks();
      if (json) {
        out().println(Json.of(ListDisksResponse.newBuilder().addAllDisks(disks).build()));
      } else if (disks.isEmpty()) {
        out().println("no disks registered");
      } else {
        Table t = new Table("ID", "IMAGE", "MODE", "SIZE", "GEN", "STATE", "LOCATION").right(3, 4);
        for (Disk d : disks) {
          t.row(d.getId(), d.getImageId(), d.getMode() == CloneMode.FULL ? "full" : "linked", Sizes.human(d.getSize()),
              d.getGeneration(), state(d), d.getLocation());
        }
        t.print(out());
      }
      out().flush();
      return Main.EXIT_OK;
    }
  }

  @Command(name = "resync", mixinStandardHelpOptions = true,
      description = {"Rebuilds a stale disk's layer from a file holding the disk's whole content, and makes it active again.",
          "A full clone is rebuilt from its own file; a linked clone needs --from: a raw copy of its disk, e.g.",
          "  qemu-img convert -O raw vm.qcow2 vm.raw   (with the VM stopped)"})
  static final class Resync extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The disk id.")
    String id;

    @Option(names = "--from", paramLabel = "FILE", description = "A raw file of the disk's content, readable by the node.")
    Path from;

    @Option(names = "--json", description = "Print the disk as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      Disk d = client.resyncDisk(id, from == null ? "" : from.toAbsolutePath().normalize().toString());
      out().println(json ? Json.of(d) : "resynced " + describe(d));
      out().flush();
      return Main.EXIT_OK;
    }
  }

  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = {"Discards a linked clone's recorded writes: it reads as its image again, from a fresh layer.",
          "For a VM whose writes are not wanted any more (reprovisioned); a full clone is resynced instead."})
  static final class Reset extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The disk id.")
    String id;

    @Option(names = "--json", description = "Print the disk as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      Disk d = client.resetDisk(id);
      out().println(json ? Json.of(d) : "reset " + describe(d));
      out().flush();
      return Main.EXIT_OK;
    }
  }
}
