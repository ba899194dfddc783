/**
 * Debian's libcoap3-bin (coap-client-notls, coap-server-notls): an independent CoAP implementation for the LwM2M
 * interoperability tests. CI installs it (.ci/run: apt-get install libcoap3-bin).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";

export interface CoapClientResult {
  /** The response code, "2.01", or "" when none came. */
  code: string;
  /** Location-Path segments of the response. */
  locationPath: string[];
  /** Everything it logged (verbosity 7). */
  log: string;
}

/** One request by coap-client-notls, its answer read from its debug log (the response's header line). */
export function coapClient(method: string, uri: string, opts: { payload?: string; payloadFile?: string; contentFormat?: number; waitSeconds?: number; bindPort?: number } = {}): Promise<CoapClientResult> {
  const args = ["-v", "7", "-B", String(opts.waitSeconds ?? 3), "-m", method];
  if (opts.contentFormat !== undefined) args.push("-t", String(opts.contentFormat));
  if (opts.payload !== undefined) args.push("-e", opts.payload);
  if (opts.payloadFile !== undefined) args.push("-f", opts.payloadFile);
  if (opts.bindPort !== undefined) args.push("-p", String(opts.bindPort));
  args.push(uri);
  return new Promise((resolve) => {
    execFile("coap-client-notls", args, { timeout: 20_000 }, (_err, stdout, stderr) => {
      const log = `${stdout}\n${stderr}`;
      // "v:1 t:ACK c:2.01 i:1234 {..} [ Location-Path:rd, Location-Path:1a2b ]"
      const line = log.split("\n").find((l) => /v:1 t:(ACK|CON|NON) c:[2-5]\.\d\d/.test(l)) ?? "";
      const code = /c:([2-5]\.\d\d)/.exec(line)?.[1] ?? "";
      const locationPath = [...line.matchAll(/Location-Path:([^,\s\]]+)/g)].map((m) => m[1]);
      resolve({ code, locationPath, log });
    });
  });
}

/** coap-server-notls on 127.0.0.1:port with dynamic resources (PUT creates them). Stop with `kill()`. */
export function coapServer(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("coap-server-notls", ["-A", "127.0.0.1", "-p", String(port), "-d", "20", "-v", "3"], { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.stdout?.resume();
    child.stderr?.resume();
    setTimeout(() => resolve(child), 300);
  });
}

/** Is libcoap's client installed? */
export function haveLibcoap(): Promise<boolean> {
  return new Promise((resolve) => execFile("coap-client-notls", ["-h"], (err) => resolve(!err || (err as { code?: unknown }).code !== "ENOENT")));
}
