package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.BootCacheException;
import io.bootcache.tls.TlsFiles;
import io.vertx.grpc.common.GrpcStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bootcache command line: talks to a cluster through {@link BootCacheClient}.
 * Exit codes: 0 done, 1 the cluster refused (its message is printed), 2 bad usage, 3 no node reachable,
 * 4 a local file could not be read or written.
 */
@Command(name = "bootcache", mixinStandardHelpOptions = true, version = "bootcache 0.1.0",
    description = "Talks to a bootcache cluster: registers images and disks, reads, warms, shows stats and profiles.",
    subcommands = {
        ImageCommand.class,
        DiskCommand.class,
        ReadCommand.class,
        WarmCommand.class,
        StatsCommand.class,
        ProfileCommand.class,
        NbdCommand.class,
        // one line per command; add new ones here
    })
public final class Main {
  public static final int EXIT_OK = 0;
  public static final int EXIT_SERVER_ERROR = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_UNREACHABLE = 3;
  public static final int EXIT_IO = 4;
  public static final String DEFAULT_NODE = "127.0.0.1:7400";

  @Option(names = "--node", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT, split = ",",
      description = "A node of the cluster (repeat or comma-separate; default: $BOOTCACHE_NODES, comma-separated, or " + DEFAULT_NODE + ").")
  List<String> nodes = new ArrayList<>();

  @Option(names = "--deadline", paramLabel = "SECONDS", scope = ScopeType.INHERIT, defaultValue = "5",
      description = "How long to wait for a node, in seconds (default: ${DEFAULT-VALUE}).")
  double deadlineSeconds;

  @Option(names = "--require-pinned-blocks", scope = ScopeType.INHERIT,
      defaultValue = "${env:BOOTCACHE_REQUIRE_PINNED_BLOCKS:-false}",
      description = "Take image blocks from the cluster only when they match the hashes pinned at registration "
          + "(images registered with --pin-blocks); other images are read from where they live "
          + "(default: $BOOTCACHE_REQUIRE_PINNED_BLOCKS, else false).")
  boolean requirePinnedBlocks;

  @Option(names = "--tls-cert", paramLabel = "FILE", scope = ScopeType.INHERIT, defaultValue = "${env:BOOTCACHE_TLS_CERT}",
      description = "This client's certificate (PEM): gRPC over TLS, its subject CN the principal the nodes check "
          + "(default: $BOOTCACHE_TLS_CERT). `nbd` also serves NBD over TLS with it.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", scope = ScopeType.INHERIT, defaultValue = "${env:BOOTCACHE_TLS_KEY}",
      description = "Its private key (PEM, unencrypted PKCS#8; default: $BOOTCACHE_TLS_KEY).")
  Path tlsKey;

  @Option(names = "--tls-ca", paramLabel = "FILE", scope = ScopeType.INHERIT, defaultValue = "${env:BOOTCACHE_TLS_CA}",
      description = "The CA (PEM) that signed the nodes' certificates, and `nbd`'s clients' (default: $BOOTCACHE_TLS_CA).")
  Path tlsCa;

  @Spec
  CommandSpec spec;

  private final OutputStream rawOut;

  public Main() {
    this(System.out);
  }

  /** @param rawOut where commands write raw bytes (read without -o) */
  public Main(OutputStream rawOut) {
    this.rawOut = rawOut;
  }

  public static void main(String[] args) {
    System.exit(commandLine(new Main()).execute(args));
  }

  /** The configured command line: error handlers that print one line and pick the exit code. */
  public static CommandLine commandLine(Main main) {
    CommandLine cl = new CommandLine(main);
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("bootcache: " + oneLine(ex));
      cmd.getErr().flush();
      return exitCode(ex);
    });
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine cmd = ex.getCommandLine();
      cmd.getErr().println("bootcache: " + ex.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
      cmd.getErr().flush();
      return EXIT_USAGE;
    });
    return cl;
  }

  /** The node addresses: --node, else $BOOTCACHE_NODES, else the default. */
  public List<String> nodeAddresses() {
    List<String> given = addresses(String.join(",", nodes));
    if (!given.isEmpty()) return given;
    List<String> env = addresses(System.getenv("BOOTCACHE_NODES"));
    return env.isEmpty() ? List.of(DEFAULT_NODE) : env;
  }

  /** "a:7400,b:7400", "a:7400, b:7400" or "a:7400 b:7400" as a list; spaces and empty items do not count. */
  static List<String> addresses(String list) {
    if (list == null) return List.of();
    return Arrays.stream(list.split("[,\\s]+")).filter(s -> !s.isBlank()).toList();
  }

  /** A client builder for the chosen nodes and deadline, for commands that need more settings. */
  public BootCacheClient.Builder clientBuilder() {
    if (!(deadlineSeconds > 0)) throw new CommandLine.ParameterException(spec.commandLine(), "--deadline must be positive");
    Duration d = Duration.ofMillis(Math.max(1, (long) (deadlineSeconds * 1000)));
    BootCacheClient.Builder b = BootCacheClient.builder().deadline(d).adminDeadline(d).retries(1)
        .requirePinnedBlocks(requirePinnedBlocks);
    try {
      TlsFiles tls = tlsFiles();
      if (tls != null) b.tls(tls);
      return b.nodes(nodeAddresses());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** --tls-cert, --tls-key and --tls-ca (or $BOOTCACHE_TLS_*), loaded; null when none is given. */
  public TlsFiles tlsFiles() {
    try {
      return TlsFiles.fromOptions(tlsCert, tlsKey, tlsCa);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  public BootCacheClient connect() {
    return clientBuilder().build();
  }

  OutputStream rawOut() {
    return rawOut;
  }

  static int exitCode(Throwable ex) {
    if (ex instanceof BootCacheException b) {
      return b.status() == GrpcStatus.UNAVAILABLE || b.status() == GrpcStatus.DEADLINE_EXCEEDED ? EXIT_UNREACHABLE : EXIT_SERVER_ERROR;
    }
    if (ex instanceof CommandLine.ParameterException || ex instanceof IllegalArgumentException) return EXIT_USAGE;
    if (ex instanceof IOException || ex instanceof UncheckedIOException) return EXIT_IO;
    return EXIT_SERVER_ERROR;
  }

  static String oneLine(Throwable ex) {
    String msg;
    if (ex instanceof BootCacheException b) {
      msg = b.status() == GrpcStatus.UNAVAILABLE || b.status() == GrpcStatus.DEADLINE_EXCEEDED
          ? "cannot reach the cluster: " + b.getMessage()
          : b.status().name() + ": " + b.getMessage();
    } else if (ex instanceof java.nio.file.FileSystemException f) {
      String why = f.getReason() != null ? f.getReason()
          : ex instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
          : ex instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : ex.getClass().getSimpleName();
      msg = f.getFile() + ": " + why;
    } else {
      msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    }
    return msg.replace('\n', ' ');
  }
}
