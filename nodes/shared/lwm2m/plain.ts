import { Lwm2mCodecError } from "./errors";
import type { LwM2MPath } from "./path";
import type { ObjectModel } from "./types";

const todo = (what: string): never => {
  throw new Lwm2mCodecError("unsupported-format", `${what} is not implemented yet`);
};
export function decodeText(_payload: Buffer, _path: LwM2MPath, _model: ObjectModel): unknown { return todo("text decoding"); }
export function encodeText(_value: unknown, _path: LwM2MPath, _model: ObjectModel): Buffer { return todo("text encoding"); }
export function decodeCbor(_payload: Buffer, _path: LwM2MPath, _model: ObjectModel): unknown { return todo("CBOR decoding"); }
