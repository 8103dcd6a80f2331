package dev.botfleet.common;

/**
 * The status codes the domain may raise. They mirror gRPC status codes so the API layer can map
 * them one to one, without the domain importing gRPC.
 */
public enum ErrorCode {
  INVALID_ARGUMENT,
  NOT_FOUND,
  ALREADY_EXISTS,
  FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED,
  PERMISSION_DENIED,
  UNAUTHENTICATED,
  ABORTED,
  UNAVAILABLE,
  INTERNAL
}
