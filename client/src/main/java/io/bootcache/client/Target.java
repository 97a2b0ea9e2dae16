package io.bootcache.client;

import java.util.Objects;

/** What a read is about: a golden image, or one VM's disk (its own writes over an image). */
public final class Target {
  public enum Kind { IMAGE, DISK }

  private final Kind kind;
  private final String id;

  private Target(Kind kind, String id) {
    this.kind = kind;
    this.id = Objects.requireNonNull(id, "id");
  }

  public static Target image(String id) {
    return new Target(Kind.IMAGE, id);
  }

  public static Target disk(String id) {
    return new Target(Kind.DISK, id);
  }

  public Kind kind() { return kind; }
  public String id() { return id; }
  public boolean isDisk() { return kind == Kind.DISK; }

  @Override
  public boolean equals(Object o) {
    return o instanceof Target t && t.kind == kind && t.id.equals(id);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + id.hashCode();
  }

  @Override
  public String toString() {
    return (kind == Kind.IMAGE ? "image " : "disk ") + id;
  }
}
