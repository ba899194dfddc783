import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { crc32, crc32Fallback } from "../../../../nodes/store-forward/crc32";

describe("journal: the record frame", () => {
  it("CRC-32 matches zlib's, with and without Node's native one", () => {
    const b = Buffer.from("123456789");
    assert.equal(crc32(b), 0xcbf43926);
    assert.equal(crc32Fallback(b), 0xcbf43926);
  });
});
