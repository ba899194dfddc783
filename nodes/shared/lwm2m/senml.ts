import { Lwm2mCodecError } from "./errors";
import type { LwM2MPath } from "./path";
import type { LwM2MEntry, ObjectModel } from "./types";

const todo = (what: string): never => {
  throw new Lwm2mCodecError("unsupported-format", `${what} is not implemented yet`);
};
export function decodeSenmlJson(_payload: Buffer, _model: ObjectModel): LwM2MEntry[] { return todo("SenML JSON decoding"); }
export function decodeSenmlCbor(_payload: Buffer, _model: ObjectModel): LwM2MEntry[] { return todo("SenML CBOR decoding"); }
export function decodeLwm2mJson(_payload: Buffer, _path: LwM2MPath, _model: ObjectModel): LwM2MEntry[] { return todo("LwM2M JSON decoding"); }
export function encodeSenmlJson(_value: unknown, _path: LwM2MPath, _model: ObjectModel): Buffer { return todo("SenML JSON encoding"); }
export function encodeSenmlCbor(_value: unknown, _path: LwM2MPath, _model: ObjectModel): Buffer { return todo("SenML CBOR encoding"); }
