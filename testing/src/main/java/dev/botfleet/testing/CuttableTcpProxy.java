package dev.botfleet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on loopback in front of a real server (issue 7): {@link #cut()} closes its port and
 * every relayed connection, as when the database host goes away (clients see their connections
 * reset and new ones refused); {@link #restore()} listens on the same port again. A real network
 * fault for the orchestrator's real JDBC driver and pool, without stopping the shared server.
 *
 * <p>{@link #pause()} keeps every connection open but stops relaying bytes either way, as a network
 * that silently drops packets (issue 9: the peers notice only by their own time-outs and
 * keep-alives); {@link #resume()} relays again.
 */
public final class CuttableTcpProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private ServerSocket server;
  private volatile boolean paused;

  public CuttableTcpProxy(String targetHost, int targetPort) throws IOException {
    this.target = new InetSocketAddress(targetHost, targetPort);
    this.server = bind(0);
    this.port = server.getLocalPort();
  }

  /** Starts relaying (an explicit start: no thread runs from the constructor). */
  public synchronized CuttableTcpProxy start() {
    acceptOn(server);
    return this;
  }

  public int port() {
    return port;
  }

  /** Closes the port and every relayed connection. */
  public synchronized void cut() throws IOException {
    server.close();
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  /** Stops relaying bytes, keeping connections open (a black hole, not a reset). */
  public void pause() {
    paused = true;
  }

  /** Relays bytes again after {@link #pause()}. */
  public void resume() {
    paused = false;
  }

  /** Listens on the same port again. */
  public synchronized void restore() throws IOException {
    server = bind(port);
    acceptOn(server);
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress("127.0.0.1", port), 64);
    return s;
  }

  private void acceptOn(ServerSocket s) {
    Thread t = new Thread(() -> acceptLoop(s), "proxy-accept-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void acceptLoop(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 2000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      // A connection accepted just before a cut (its upstream was still connecting) must not
      // survive it: register under the cut's lock, and only while its listener is still open.
      synchronized (this) {
        if (s.isClosed()) {
          closeQuietly(client);
          closeQuietly(upstream);
          return;
        }
        sockets.add(client);
        sockets.add(upstream);
      }
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                  while (paused && !from.isClosed()) {
                    Thread.sleep(20);
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // cut or closed by either side
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public synchronized void close() throws IOException {
    cut();
  }
}
