import { Lwm2mCodecError } from "./errors";
import type { LwM2MPath } from "./path";
import type { ObjectModel } from "./types";

export function decodeTlv(_payload: Buffer, _path: LwM2MPath, _model: ObjectModel): unknown {
  throw new Lwm2mCodecError("unsupported-format", "TLV decoding is not implemented yet");
}
export function encodeTlv(_value: unknown, _path: LwM2MPath, _model: ObjectModel): Buffer {
  throw new Lwm2mCodecError("unsupported-format", "TLV encoding is not implemented yet");
}
