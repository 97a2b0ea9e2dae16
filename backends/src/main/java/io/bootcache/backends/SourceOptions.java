package io.bootcache.backends;

import java.time.Duration;

/**
 * How remote sources are reached: {@code connectTimeout} for a connection (and an NBD handshake),
 * {@code readTimeout} for one read's answer, so that a dead server fails readers instead of holding
 * them; {@code connections}: NBD connections per export, each with many reads in flight.
 */
public record SourceOptions(Duration connectTimeout, Duration readTimeout, int connections) {
  public static final SourceOptions DEFAULTS = new SourceOptions(Duration.ofSeconds(5), Duration.ofSeconds(30), 2);

  public SourceOptions {
    if (connectTimeout.isNegative() || connectTimeout.isZero()) throw new IllegalArgumentException("connect timeout must be positive");
    if (readTimeout.isNegative() || readTimeout.isZero()) throw new IllegalArgumentException("read timeout must be positive");
    if (connections < 1) throw new IllegalArgumentException("connections must be at least 1");
  }
}
