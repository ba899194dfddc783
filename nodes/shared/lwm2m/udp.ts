/**
 * A UDP socket for the `coap` package whose send never throws: coap's retransmission and piggyback timers may
 * fire after the socket was closed (a node closing while a confirmable message is unanswered), and dgram's send
 * then throws "Not running" from a timer, which would stop the whole Node-RED runtime. Once closed, sends are
 * dropped; a send that fails goes to `onError`.
 */
import dgram from "node:dgram";

export interface GuardedSocket {
  sock: dgram.Socket;
  /** Drop every later send, then close the socket. */
  close(): Promise<void>;
}

export function guardedSocket(type: "udp4" | "udp6", onError: (err: Error) => void): GuardedSocket {
  const sock = dgram.createSocket({ type, reuseAddr: false });
  let open = true;
  const send = sock.send.bind(sock) as (...args: unknown[]) => void;
  (sock as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
    if (!open) return;
    try {
      send(...args);
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return {
    sock,
    close: () =>
      new Promise<void>((resolve) => {
        if (!open) return resolve();
        open = false;
        try {
          sock.close(() => resolve());
        } catch {
          resolve(); // never bound, or already closed
        }
      }),
  };
}
