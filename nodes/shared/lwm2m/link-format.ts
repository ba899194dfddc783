import { Lwm2mCodecError } from "./errors";
import type { Link, RegisteredObjects } from "./types";

/**
 * Parse a CoRE link-format document (RFC 6690), as a Register / Update / Discover payload carries it:
 * `</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>` → the links, the alternate root path, the announced content formats
 * and the objects with their instances and versions. Quoted values may contain commas and semicolons.
 * @throws Lwm2mCodecError("malformed") naming the position of the fault
 */
export function parseLinkFormat(text: string | Buffer): RegisteredObjects {
  const s = Buffer.isBuffer(text) ? text.toString("utf8") : String(text);
  const links: Link[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Lwm2mCodecError("malformed", `link format: ${what} at character ${i} of "${s.length > 80 ? s.slice(0, 80) + "…" : s}"`);
  };
  ws();
  while (i < s.length) {
    if (s[i] !== "<") fail('expected "<"');
    const end = s.indexOf(">", i);
    if (end < 0) fail('no closing ">"');
    const uri = s.slice(i + 1, end).trim();
    i = end + 1;
    const params: Record<string, string | true> = {};
    ws();
    while (s[i] === ";") {
      i++;
      ws();
      const m = /^[A-Za-z0-9!#$&+\-.^_`|~*]+/.exec(s.slice(i));
      if (!m) fail("expected an attribute name");
      const name = m![0];
      i += name.length;
      ws();
      if (s[i] === "=") {
        i++;
        ws();
        if (s[i] === '"') {
          let v = "";
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === "\\" && i + 1 < s.length) i++;
            v += s[i++];
          }
          if (s[i] !== '"') fail("unterminated quoted value");
          i++;
          params[name] = v;
        } else {
          const v = /^[^;,\s]*/.exec(s.slice(i))![0];
          i += v.length;
          params[name] = v;
        }
      } else {
        params[name] = true;
      }
      ws();
    }
    links.push({ uri, params });
    if (i < s.length) {
      if (s[i] !== ",") fail('expected "," or ";"');
      i++;
      ws();
      if (i >= s.length) fail("a trailing comma");
    }
  }

  let rootPath = "/";
  let contentFormats: number[] | undefined;
  const root = links.find((l) => l.params.rt === "oma.lwm2m");
  if (root) {
    rootPath = "/" + root.uri.replace(/^\/+|\/+$/g, "");
    const ct = root.params.ct;
    if (typeof ct === "string" && ct !== "") {
      contentFormats = ct.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n));
    }
  }
  const prefix = rootPath === "/" ? "" : rootPath;
  const byId = new Map<number, { id: number; version?: string; instances: number[] }>();
  for (const l of links) {
    if (l === root) continue;
    let uri = l.uri;
    if (prefix && uri.startsWith(prefix + "/")) uri = uri.slice(prefix.length);
    const m = /^\/(\d{1,5})(?:\/(\d{1,5}))?\/?$/.exec(uri);
    if (!m) continue; // other links (a resource in a Discover answer, a non-LwM2M link) stay in `links` only
    const id = Number(m[1]);
    let o = byId.get(id);
    if (!o) byId.set(id, (o = { id, instances: [] }));
    if (typeof l.params.ver === "string") o.version = l.params.ver;
    if (m[2] !== undefined && !o.instances.includes(Number(m[2]))) o.instances.push(Number(m[2]));
  }
  const objects = [...byId.values()].sort((a, b) => a.id - b.id);
  for (const o of objects) o.instances.sort((a, b) => a - b);
  return { rootPath, contentFormats, objects, links };
}

function formatParam(name: string, v: string | true): string {
  if (v === true) return `;${name}`;
  return /^[A-Za-z0-9.\-_]+$/.test(v) && name !== "rt" ? `;${name}=${v}` : `;${name}="${v.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * Write CoRE link format. Takes links (`[{ uri: "/3/0", params: {} }]`), or what a device registers:
 * `{ objects: [{ id: 3, instances: [0], version? }], rootPath?, contentFormats? }` → `</>;rt="oma.lwm2m";ct=...,</1/0>,...`
 * (the root link only when rootPath or contentFormats is given; an object without instances as `</id>`).
 */
export function formatLinks(input: Link[] | Pick<RegisteredObjects, "objects"> & Partial<Pick<RegisteredObjects, "rootPath" | "contentFormats">>): string {
  let links: Link[];
  if (Array.isArray(input)) links = input;
  else {
    links = [];
    const root = input.rootPath && input.rootPath !== "/" ? "/" + input.rootPath.replace(/^\/+|\/+$/g, "") : "";
    if (root || input.contentFormats?.length) {
      const params: Record<string, string | true> = { rt: "oma.lwm2m" };
      if (input.contentFormats?.length) params.ct = input.contentFormats.join(" ");
      links.push({ uri: root || "/", params });
    }
    for (const o of [...input.objects].sort((a, b) => a.id - b.id)) {
      const ver: Record<string, string | true> = o.version && o.version !== "1.0" ? { ver: o.version } : {};
      if (!o.instances.length) links.push({ uri: `${root}/${o.id}`, params: ver });
      else {
        const sorted = [...o.instances].sort((a, b) => a - b);
        if (o.version && o.version !== "1.0") links.push({ uri: `${root}/${o.id}`, params: ver });
        for (const i of sorted) links.push({ uri: `${root}/${o.id}/${i}`, params: {} });
      }
    }
  }
  return links
    .map((l) => `<${l.uri}>` + Object.entries(l.params).map(([k, v]) => formatParam(k, v)).join(""))
    .join(",");
}
