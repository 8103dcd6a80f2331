package dev.botfleet.orchestrator.store;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/**
 * Tells "the database cannot be reached" apart from other SQL failures (issue 7): such a failure is
 * worth retrying later, never worth retrying in a tight loop, and answers UNAVAILABLE rather than
 * INTERNAL.
 */
public final class DatabaseFailures {
  private DatabaseFailures() {}

  /**
   * Whether {@code t} or one of its causes says the database is unreachable: no connection within
   * the wait (Hikari's {@link SQLTransientConnectionException}), a JDBC connection error (SQLState
   * class 08, e.g. PostgreSQL 08001 connection refused, 08006 connection failure), a server going
   * down (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), or a socket error
   * (refused, reset, timed out).
   */
  public static boolean isUnreachable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SQLTransientConnectionException
          || c instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (c instanceof SQLException e && isConnectionState(e.getSQLState())) {
        return true;
      }
      if (c instanceof ConnectException
          || c instanceof NoRouteToHostException
          || c instanceof UnknownHostException
          || c instanceof SocketTimeoutException
          || c instanceof SocketException) {
        return true;
      }
    }
    return false;
  }

  /** SQLState of a lost or refused connection, or of a server shutting down or starting up. */
  public static boolean isConnectionState(String sqlState) {
    if (sqlState == null) {
      return false;
    }
    return sqlState.startsWith("08")
        || "57P01".equals(sqlState)
        || "57P02".equals(sqlState)
        || "57P03".equals(sqlState);
  }
}
