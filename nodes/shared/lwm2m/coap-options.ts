/**
 * CoAP options of a message from the `coap` package, as numbers: it gives the registered content formats by name
 * ("application/vnd.oma.lwm2m+tlv"), and the LwM2M code works with their numbers (CONTENT_FORMAT).
 */
import type { IncomingMessage } from "coap";
import { toBinary } from "coap/dist/lib/option_converter";

/** The Content-Format (or Accept) option of a message as a number; undefined when absent or not understood. */
export function formatOption(msg: IncomingMessage, name: "Content-Format" | "Accept" = "Content-Format"): number | undefined {
  const h = (msg.headers as Record<string, unknown>)[name];
  if (typeof h === "number") return h;
  if (typeof h !== "string") return undefined;
  try {
    let n = 0;
    for (const x of toBinary(name, h) as Buffer) n = n * 256 + x;
    return n;
  } catch {
    return undefined;
  }
}
