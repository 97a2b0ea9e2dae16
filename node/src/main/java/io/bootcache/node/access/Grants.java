package io.bootcache.node.access;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may do what, read from a grants file: one grant a line,
 * {@code PRINCIPAL = ROLE[: images=ID,ID disks=ID,ID]}. Without a scope the role covers every image
 * and disk; with one, only those listed ({@code *}: every one of that kind; none after the {@code =},
 * or a kind left out: none).
 * A principal's lines add up. Blank lines and lines starting with {@code #} are skipped.
 * <pre>
 * ops    = admin
 * host-a = host: images=debian12,win11 disks=vm7,vm8
 * audit  = reader: images=*
 * </pre>
 */
public final class Grants {
  /** No grant for anyone: only the local principal may do anything. */
  public static final Grants NONE = new Grants(Map.of());

  private final Map<String, List<Grant>> byPrincipal;

  private Grants(Map<String, List<Grant>> byPrincipal) {
    this.byPrincipal = byPrincipal;
  }

  /** The grants of a file; a line that cannot be read fails the whole file, naming the line. */
  public static Grants read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the grants file " + file + ": " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /** The grants in {@code text}; {@code source} names it in errors. */
  public static Grants parse(String text, String source) {
    Map<String, List<Grant>> out = new HashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      try {
        int eq = line.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("want PRINCIPAL = ROLE[: images=ID,ID disks=ID,ID]");
        String principal = line.substring(0, eq).strip();
        if (principal.isEmpty()) throw new IllegalArgumentException("no principal before '='");
        out.computeIfAbsent(principal, p -> new ArrayList<>()).add(grant(line.substring(eq + 1).strip()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
      }
    }
    out.replaceAll((p, grants) -> List.copyOf(grants));
    return new Grants(Map.copyOf(out));
  }

  /** What {@code principal} was granted; empty when it is not named. */
  List<Grant> of(String principal) {
    return byPrincipal.getOrDefault(principal, List.of());
  }

  /** How many principals are named. */
  public int principals() {
    return byPrincipal.size();
  }

  /** "ROLE" or "ROLE: images=... disks=...". */
  private static Grant grant(String spec) {
    int colon = spec.indexOf(':');
    Role role = Role.of((colon < 0 ? spec : spec.substring(0, colon)).strip());
    if (colon < 0 || spec.substring(colon + 1).isBlank()) return new Grant(role, Grant.EVERY, Grant.EVERY);
    Set<String> images = Set.of();
    Set<String> disks = Set.of();
    boolean seenImages = false;
    boolean seenDisks = false;
    for (String part : spec.substring(colon + 1).strip().split("\\s+")) {
      int eq = part.indexOf('=');
      String kind = eq < 0 ? part : part.substring(0, eq);
      Set<String> ids = eq < 0 ? Set.of() : ids(part.substring(eq + 1));
      switch (kind) {
        case "images" -> {
          if (seenImages) throw new IllegalArgumentException("images= given twice");
          seenImages = true;
          images = ids;
        }
        case "disks" -> {
          if (seenDisks) throw new IllegalArgumentException("disks= given twice");
          seenDisks = true;
          disks = ids;
        }
        default -> throw new IllegalArgumentException("'" + part + "' is neither images=ID,ID nor disks=ID,ID");
      }
    }
    return new Grant(role, images, disks);
  }

  /** "a,b,c", "*" for every one, or "" for none (a grant of nothing still names a principal: /metrics). */
  private static Set<String> ids(String list) {
    if (list.equals("*")) return Grant.EVERY;
    if (list.isEmpty()) return Set.of();
    Set<String> ids = new LinkedHashSet<>();
    for (String id : list.split(",")) {
      if (id.isBlank()) throw new IllegalArgumentException("an empty id in '" + list + "'");
      ids.add(id.strip());
    }
    return Set.copyOf(ids);
  }
}
