package dev.botfleet.orchestrator.api;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** Runs a unary handler and maps any failure to a gRPC status with a rule reason. */
final class Unary {
  private Unary() {}

  static <T> void respond(StreamObserver<T> observer, Supplier<T> handler) {
    T response;
    try {
      response = handler.get();
    } catch (Throwable t) {
      observer.onError(GrpcErrors.toStatus(t));
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }
}
