/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Node's zlib.crc32 (Node 20.15+ and 22.2+) when it is
 * there; a table-driven fallback for older Node 20 releases.
 */
import zlib from "node:zlib";

let table: Uint32Array | undefined;

function fallback(buf: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;

export const crc32: (buf: Uint8Array) => number = native ? (buf) => native(buf) : fallback;
export const crc32Fallback = fallback;
