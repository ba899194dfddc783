import fs from "node:fs";
import net from "node:net";

/**
 * A port that was free on 127.0.0.1 a moment ago, for a server a test starts later.
 *
 * It is taken below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default): a port the
 * kernel hands out for listen(0) can be taken, before the test's server binds it, as the local port of any outgoing
 * connection (a Node-RED MQTT client, say), which made two labs started side by side fail with EADDRINUSE. This
 * process never hands out the same port twice.
 */
const given = new Set<number>();

function ephemeralStart(): number {
  try {
    const [low] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // not Linux: the IANA dynamic range starts at 49152
  }
  return 49152;
}

const LOW = 20000;
const HIGH = Math.max(LOW + 1000, ephemeralStart());

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (given.has(port)) continue;
    given.add(port);
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} on 127.0.0.1`);
}
