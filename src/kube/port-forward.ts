/**
 * A local TCP port that forwards to a port of a pod through the API server
 * (what `kubectl port-forward` does, without kubectl): each accepted
 * connection opens one port-forward WebSocket. The pod side connects to the
 * port on the pod's loopback, so it also reaches listeners that are bound to
 * 127.0.0.1 only. client-node is used only here, so its API changes stay local.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

export interface PodPortForward {
  /** 127.0.0.1 */
  host: string;
  /** The local port. */
  port: number;
  /** Stops listening and closes every forwarded connection. */
  close(): Promise<void>;
  /** Number of connections that were cut from the pod side (for tests and logs). */
  readonly dropped: number;
}

export interface PodPortForwardOptions {
  namespace: string;
  pod: string;
  /** The pod's port. */
  port: number;
  /** Called with what the API server or kubelet said when a stream failed (e.g. connection refused). */
  onError?: (message: string) => void;
}

interface SocketLike { close(): void; on(event: 'close', fn: () => void): unknown }

export async function forwardPodPort(kc: k8s.KubeConfig, opts: PodPortForwardOptions): Promise<PodPortForward> {
  // disconnectOnErr: an error frame from the kubelet ends the stream instead of hanging it.
  const forward = new k8s.PortForward(kc, true);
  const sockets = new Set<net.Socket>();
  let dropped = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        const text = chunk.toString('utf8').trim();
        if (text) opts.onError?.(text);
        done();
      },
    });
    socket.pause();
    forward.portForward(opts.namespace, opts.pod, [opts.port], socket, errors, socket)
      .then((ws) => {
        const w = ws as unknown as SocketLike;
        socket.resume();
        w.on('close', () => {
          if (!socket.destroyed) { dropped++; socket.destroy(); }
        });
        socket.on('close', () => { w.close(); });
      })
      .catch((err: unknown) => {
        // client-node rejects with the WebSocket's ErrorEvent (not an Error) when the upgrade fails.
        const message = (err as { message?: unknown } | undefined)?.message;
        opts.onError?.(typeof message === 'string' ? message : String(err));
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { resolve(); });
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    get dropped() { return dropped; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => { resolve(); });
    }),
  };
}
