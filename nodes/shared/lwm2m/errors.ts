/** A payload or value the LwM2M codecs cannot handle; `code` says which kind, the message names the cause. */
export class Lwm2mCodecError extends Error {
  constructor(
    public readonly code: "malformed" | "unsupported-format" | "bad-path" | "bad-value",
    message: string,
  ) {
    super(message);
    this.name = "Lwm2mCodecError";
  }
}
