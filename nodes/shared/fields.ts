/**
 * Field specs: one description of each config field of a node (its default, limits, enum, unit and label),
 * read by the runtime parser and emitted by the build into the editor's `defaults` and `validate`. So the
 * editor and the runtime reject the same values with the same words, by construction.
 *
 * `checkField` is the one check. It is self-contained (no imports, no outer names): the build emits its source
 * into each node's editor page, so keep it that way.
 */
import { ConfigError } from "./errors";

interface Base {
  /** The field's label as the dialog shows it (English), used in error messages: `Max bytes: ...`. */
  label: string;
  /** Where the dialog puts it (the editor shows the error beside it); informational. */
  tab?: string;
}

/** A number; `sizes` accepts byte sizes such as "64 MB" or "1 GiB"; `unit` is said in messages ("s", "bytes"). */
export interface NumberField extends Base {
  kind: "number";
  default: number;
  min: number;
  max: number;
  /** min itself is not allowed (e.g. a rate that must be above 0). */
  minExclusive?: boolean;
  integer?: boolean;
  unit?: string;
  sizes?: boolean;
  /** 0 means "no limit"; said in messages. */
  zeroMeans?: string;
}

export interface EnumField extends Base {
  kind: "enum";
  default: string;
  values: readonly string[];
}

export interface TextField extends Base {
  kind: "text";
  default: string;
  /** A regular expression the trimmed text must match (when not empty), and what it means. */
  pattern?: string;
  patternText?: string;
  maxLength?: number;
  required?: boolean;
}

/** A comma-separated list of numbers, each in (min, max) exclusive, ascending, e.g. watermarks "50,75,90". */
export interface NumberListField extends Base {
  kind: "numbers";
  default: string;
  min: number;
  max: number;
  unit?: string;
  example: string;
}

/** An IANA time zone. */
export interface ZoneField extends Base {
  kind: "zone";
  default: string;
}

/**
 * A structured field (a register map, rule list, tariff): JSON text, checked by the node's own parser at runtime
 * and, in the editor, through the node's validate endpoint as the user types.
 */
export interface StructuredField extends Base {
  kind: "structured";
  default: string;
}

export type FieldSpec = NumberField | EnumField | TextField | NumberListField | ZoneField | StructuredField;
export type FieldSpecs = Record<string, FieldSpec>;

export type FieldResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Check one field's raw value (as the dialog stores it: text, or a number) against its spec. Returns the parsed
 * value (a number, a string, an array of numbers) or an error that names the field by its label.
 * An empty value means the default. Structured fields are returned as trimmed text (their parser checks them).
 */
export function checkField(spec: FieldSpec, raw: unknown): FieldResult {
  function fail(what: string): FieldResult {
    return { ok: false, error: spec.label + ": " + what };
  }
  function show(v: unknown): string {
    return typeof v === "string" ? '"' + v + '"' : String(v);
  }
  function fmt(n: number, unit: string | undefined, sizes: boolean | undefined): string {
    if (sizes) {
      const units = [
        ["GiB", 1073741824],
        ["MiB", 1048576],
        ["KiB", 1024],
      ] as const;
      for (const [u, k] of units) if (n >= k && n % k === 0) return n / k + " " + u;
    }
    return String(n) + (unit ? " " + unit : "");
  }
  const empty = raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "");
  if (spec.kind === "number") {
    if (empty) return { ok: true, value: spec.default };
    let n: number;
    if (typeof raw === "number") n = raw;
    else if (typeof raw === "string") {
      const s = raw.trim();
      const m = spec.sizes ? /^(\d+(?:\.\d+)?|\.\d+)\s*([kKMGT]i?B?|B|bytes?)?$/.exec(s) : null;
      if (m) {
        const mult: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1048576, Gi: 1073741824, Ti: 1099511627776 };
        const u = (m[2] || "").replace(/B$|bytes?$/, "");
        n = Number(m[1]) * (u ? mult[u] : 1);
        if (u && mult[u] === undefined) n = NaN;
      } else n = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : NaN;
    } else n = NaN;
    const range = "from " + fmt(spec.min, spec.unit, spec.sizes) + " to " + fmt(spec.max, spec.unit, spec.sizes);
    const hint = (spec.sizes ? " (a number of bytes, or a size such as 64 MB or 1 GiB)" : spec.unit ? " (in " + spec.unit + ")" : "") + (spec.zeroMeans ? "; 0 = " + spec.zeroMeans : "");
    if (!Number.isFinite(n)) return fail(show(raw) + " is not a number; use a number " + range + hint);
    if (spec.integer && !Number.isInteger(n)) return fail(show(raw) + " must be a whole number " + range + hint);
    if (n < spec.min || n > spec.max || (spec.minExclusive && n === spec.min))
      return fail(show(raw) + " must be " + (spec.minExclusive ? "above " + fmt(spec.min, spec.unit, spec.sizes) + " and up to " + fmt(spec.max, spec.unit, spec.sizes) : range) + hint);
    return { ok: true, value: spec.integer || spec.sizes ? Math.round(n) : n };
  }
  if (spec.kind === "enum") {
    if (empty) return { ok: true, value: spec.default };
    if (typeof raw !== "string" || spec.values.indexOf(raw) < 0) return fail(show(raw) + " must be one of " + spec.values.join(", "));
    return { ok: true, value: raw };
  }
  if (spec.kind === "text") {
    const s = typeof raw === "string" ? raw.trim() : raw === undefined || raw === null ? "" : String(raw);
    if (s === "") return spec.required ? fail("is required") : { ok: true, value: spec.default };
    if (spec.maxLength !== undefined && s.length > spec.maxLength) return fail("is longer than " + spec.maxLength + " characters");
    if (spec.pattern && !new RegExp(spec.pattern).test(s)) return fail(show(s) + " must be " + (spec.patternText || "of the form " + spec.pattern));
    return { ok: true, value: s };
  }
  if (spec.kind === "numbers") {
    const s = empty ? spec.default : String(raw).trim();
    const parts = s.split(",");
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i].trim();
      const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(p) ? Number(p) : NaN;
      if (!(n > spec.min && n < spec.max))
        return fail(show(p) + " (item " + (i + 1) + " of " + show(s) + ") must be a number between " + spec.min + " and " + spec.max + (spec.unit ? " " + spec.unit : "") + ", e.g. " + spec.example);
      if (out.length && n <= out[out.length - 1]) return fail(show(s) + " must be in ascending order, e.g. " + spec.example);
      out.push(n);
    }
    return { ok: true, value: out };
  }
  if (spec.kind === "zone") {
    const s = empty ? spec.default : String(raw).trim();
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: s });
    } catch {
      return fail(show(s) + " is not an IANA time zone such as Europe/Berlin or America/New_York");
    }
    return { ok: true, value: s };
  }
  // structured: the node's own parser checks it
  return { ok: true, value: empty ? spec.default : String(raw).trim() };
}

/**
 * Parse every field of `specs` from a node's config. Throws a ConfigError naming the first bad field (its
 * `field` is the property name); `errors` lists every bad field.
 */
export function parseFields<T extends Record<string, unknown>>(specs: FieldSpecs, def: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  const errors: { field: string; message: string }[] = [];
  for (const name of Object.keys(specs)) {
    const r = checkField(specs[name], def[name]);
    if (r.ok) out[name] = r.value;
    else errors.push({ field: name, message: r.error });
  }
  if (errors.length) throw new FieldErrors(errors);
  return out as T;
}

/** One or more fields are invalid: a ConfigError naming the first, with the full list. */
export class FieldErrors extends ConfigError {
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => e.message).join("; "), errors[0]?.field);
  }
}

/** The field specs as the editor gets them: plain JSON. */
export function editorSpec(specs: FieldSpecs): FieldSpecs {
  return JSON.parse(JSON.stringify(specs)) as FieldSpecs;
}
