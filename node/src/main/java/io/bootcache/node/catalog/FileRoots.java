package io.bootcache.node.catalog;

import io.bootcache.backends.ImageSources;
import io.bootcache.node.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which host files the node may serve: an image's only under an image root, a full clone's (which
 * NBD writes into) only under a disk root, and no disk's file may be an image's or another disk's.
 * Symlinks are resolved in the file and in the roots before the check, so a link inside a root
 * cannot lead out of it; the resolved path is what the node then opens. A location is an absolute
 * path: a URI (file: or another scheme) is not this class's to read.
 */
public final class FileRoots {
  private final List<Path> imageRoots;
  private final List<Path> diskRoots;

  public FileRoots(List<Path> imageRoots, List<Path> diskRoots) {
    this.imageRoots = List.copyOf(imageRoots);
    this.diskRoots = List.copyOf(diskRoots);
  }

  /** The real path of an image's file, which must lie under an image root. */
  public Path image(String what, String location) {
    return under(what, location, imageRoots, "--image-root");
  }

  /** The real path of a full clone's file, which must lie under a disk root. */
  public Path disk(String what, String location) {
    return under(what, location, diskRoots, "--disk-root");
  }

  /** The real path of a file the node only reads (a resync source): under an image or a disk root. */
  public Path readable(String what, String location) {
    List<Path> either = new ArrayList<>(imageRoots);
    either.addAll(diskRoots);
    return under(what, location, either, "--image-root or --disk-root");
  }

  /**
   * Refuses a file that is one of the others (same inode, whatever the path): a full clone written
   * through NBD would otherwise write into a golden image or into another VM's disk.
   *
   * @param others a description ("image golden") to its location, for every target this one must not share a file with
   */
  public static void requireDistinct(String what, Path file, Map<String, String> others) {
    for (Map.Entry<String, String> other : others.entrySet()) {
      if (sameFile(file, other.getValue())) {
        throw ApiError.permissionDenied(what + ": " + file + " is " + other.getKey() + "'s file; an image's file is "
            + "never written and each full clone needs a file of its own");
      }
    }
  }

  private static boolean sameFile(Path file, String location) {
    try {
      return Files.isSameFile(file, Path.of(location));
    } catch (IOException | InvalidPathException e) {
      return false; // the other's file is gone or unreadable: it cannot be this one
    }
  }

  private static Path under(String what, String location, List<Path> roots, String flag) {
    if (location == null || location.isEmpty()) throw ApiError.invalid(what + ": location is missing");
    if (!ImageSources.isFile(location)) {
      throw ApiError.invalid(what + ": " + location + " is not a local file; only images may live on NBD or HTTP(S), "
          + "a full clone's own copy and a resync source are files");
    }
    if (location.startsWith("file:")) {
      throw ApiError.invalid(what + ": location '" + location + "' is a URI; give the file's absolute path");
    }
    Path path;
    try {
      path = Path.of(location);
    } catch (InvalidPathException e) {
      throw ApiError.invalid(what + ": location '" + location + "' is not a file path");
    }
    if (!path.isAbsolute()) throw ApiError.invalid(what + ": location '" + location + "' is not an absolute path");
    path = path.normalize();
    List<Path> realRoots = realPaths(roots);
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      // a file outside the roots is refused the same whether it exists or not: no probing the host's files
      if (!inside(path, roots) && !inside(path, realRoots)) throw outside(what, path, roots, flag);
      throw ApiError.invalid(what + ": " + path + " does not exist or cannot be reached");
    }
    if (!inside(real, realRoots)) throw outside(what, real.equals(path) ? path : real, roots, flag);
    if (!Files.isRegularFile(real)) throw ApiError.invalid(what + ": " + path + " is not a regular file");
    if (!Files.isReadable(real)) throw ApiError.invalid(what + ": " + path + " is not readable");
    return real;
  }

  private static boolean inside(Path path, List<Path> roots) {
    for (Path root : roots) if (path.startsWith(root)) return true;
    return false;
  }

  /** The roots as they are on disk now (symlinks resolved); a root that does not exist holds nothing. */
  private static List<Path> realPaths(List<Path> roots) {
    List<Path> real = new ArrayList<>();
    for (Path root : roots) {
      try {
        real.add(root.toRealPath());
      } catch (IOException e) {
        // not there (yet): nothing under it can be registered
      }
    }
    return real;
  }

  private static ApiError outside(String what, Path path, List<Path> roots, String flag) {
    String names = roots.isEmpty() ? "none" : roots.stream().map(Path::toString).collect(Collectors.joining(", "));
    return ApiError.permissionDenied(what + ": " + path + " is outside the node's roots (" + names + "); the node "
        + "serves only files under its " + flag + " directories");
  }

  @Override
  public String toString() {
    return "imageRoots=" + imageRoots + ", diskRoots=" + diskRoots;
  }
}
