package io.bootcache.node;

/**
 * A request the node refuses or cannot serve: what kind of failure, and a message that says what was
 * wrong. The edges turn the kind into their own terms (a gRPC status in grpc/, an errno over NBD).
 */
public final class ApiError extends RuntimeException {
  /** What went wrong, in the node's own words. */
  public enum Kind {
    INVALID,
    NOT_FOUND,
    OUT_OF_RANGE,
    ALREADY_EXISTS,
    /** The target's state does not allow it now (a stale linked clone, a full clone's reset). */
    FAILED_PRECONDITION,
    PERMISSION_DENIED,
    /** The node could not do it now (a backend read failed, the node is stopping): worth a retry elsewhere. */
    UNAVAILABLE,
    /** A cap was reached (memory, registrations). */
    EXHAUSTED
  }

  private final Kind kind;

  public ApiError(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() { return kind; }

  /** True when the caller's request was refused as it stands (bad input, unknown id, not allowed): nothing changed. */
  public boolean isRefusal() {
    return kind == Kind.INVALID || kind == Kind.OUT_OF_RANGE || kind == Kind.NOT_FOUND
        || kind == Kind.PERMISSION_DENIED || kind == Kind.ALREADY_EXISTS;
  }

  /** The ApiError anywhere in the cause chain (Ignite wraps a remote job's exception), or null. */
  public static ApiError in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ApiError a) return a;
      if (c.getCause() == c) break;
    }
    return null;
  }

  public static ApiError invalid(String message) { return new ApiError(Kind.INVALID, message); }
  public static ApiError notFound(String message) { return new ApiError(Kind.NOT_FOUND, message); }
  public static ApiError outOfRange(String message) { return new ApiError(Kind.OUT_OF_RANGE, message); }
  public static ApiError alreadyExists(String message) { return new ApiError(Kind.ALREADY_EXISTS, message); }
  public static ApiError failedPrecondition(String message) { return new ApiError(Kind.FAILED_PRECONDITION, message); }
  public static ApiError permissionDenied(String message) { return new ApiError(Kind.PERMISSION_DENIED, message); }
  public static ApiError unavailable(String message) { return new ApiError(Kind.UNAVAILABLE, message); }
  public static ApiError exhausted(String message) { return new ApiError(Kind.EXHAUSTED, message); }
}
