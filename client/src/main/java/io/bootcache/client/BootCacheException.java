package io.bootcache.client;

import io.vertx.grpc.common.GrpcStatus;

/**
 * A request failed with a gRPC status: the caller's own mistake (INVALID_ARGUMENT, NOT_FOUND,
 * OUT_OF_RANGE, PERMISSION_DENIED, ALREADY_EXISTS...), or, for calls that have no backend to fall
 * back to, the cluster's (UNAVAILABLE, DEADLINE_EXCEEDED...). The message is the node's.
 */
public class BootCacheException extends RuntimeException {
  private final GrpcStatus status;

  public BootCacheException(GrpcStatus status, String message) {
    this(status, message, null);
  }

  public BootCacheException(GrpcStatus status, String message, Throwable cause) {
    super(message == null || message.isEmpty() ? status.name() : message, cause);
    this.status = status;
  }

  public GrpcStatus status() { return status; }

  /** The numeric gRPC status code. */
  public int code() { return status.code; }

  /** True for the statuses that mean the request itself was wrong: retrying or falling back cannot help. */
  public boolean isCallerError() {
    return isCallerError(status);
  }

  static boolean isCallerError(GrpcStatus s) {
    return s == GrpcStatus.INVALID_ARGUMENT || s == GrpcStatus.NOT_FOUND
        || s == GrpcStatus.OUT_OF_RANGE || s == GrpcStatus.PERMISSION_DENIED;
  }

  @Override
  public String toString() {
    return "BootCacheException{" + status.name() + ": " + getMessage() + "}";
  }
}
