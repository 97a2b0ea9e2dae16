package io.bootcache.node;

import io.vertx.grpc.common.GrpcStatus;

/** A request the node refuses, with the gRPC status and a message that says what was wrong. */
public final class ApiError extends RuntimeException {
  private final GrpcStatus status;

  public ApiError(GrpcStatus status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public GrpcStatus status() { return status; }

  /** True when the caller's request was refused as it stands (bad input, unknown id, not allowed): nothing changed. */
  public boolean isRefusal() {
    return status == GrpcStatus.INVALID_ARGUMENT || status == GrpcStatus.OUT_OF_RANGE || status == GrpcStatus.NOT_FOUND
        || status == GrpcStatus.PERMISSION_DENIED || status == GrpcStatus.ALREADY_EXISTS;
  }

  /** The ApiError anywhere in the cause chain (Ignite wraps a remote job's exception), or null. */
  public static ApiError in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ApiError a) return a;
      if (c.getCause() == c) break;
    }
    return null;
  }

  public static ApiError invalid(String message) { return new ApiError(GrpcStatus.INVALID_ARGUMENT, message); }
  public static ApiError notFound(String message) { return new ApiError(GrpcStatus.NOT_FOUND, message); }
  public static ApiError outOfRange(String message) { return new ApiError(GrpcStatus.OUT_OF_RANGE, message); }
  public static ApiError alreadyExists(String message) { return new ApiError(GrpcStatus.ALREADY_EXISTS, message); }
  public static ApiError failedPrecondition(String message) { return new ApiError(GrpcStatus.FAILED_PRECONDITION, message); }
  public static ApiError permissionDenied(String message) { return new ApiError(GrpcStatus.PERMISSION_DENIED, message); }
  public static ApiError unavailable(String message) { return new ApiError(GrpcStatus.UNAVAILABLE, message); }
  public static ApiError exhausted(String message) { return new ApiError(GrpcStatus.RESOURCE_EXHAUSTED, message); }
}
