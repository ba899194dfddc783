/**
 * Backlogs that belong to no node (issue 7, item 22). Deleting or re-importing a store-forward node leaves its
 * folder, with whatever was not delivered, under `<userDir>/m2m-store-forward/<node id>/`. On start the node
 * can warn about those folders: a node adopts one by setting its `dir` to the folder.
 *
 * Only the file system is read (asynchronously, never the segment contents): the size on disk and the number
 * of segment files are cheap; the record count is not known without reading the segments, so it is not given.
 */
import fs from "node:fs/promises";
import path from "node:path";

export interface Orphan {
  /** The folder, absolute. */
  dir: string;
  /** Its name: the id of the node that owned it (with characters other than A-Z a-z 0-9 _ . - as "_"). */
  name: string;
  /** Bytes of segment files (what was stored and not yet deleted: an upper bound of the backlog). */
  bytes: number;
  /** Segment files holding them. */
  segments: number;
  /** Newest change to a segment (epoch ms): when its node last stored something. */
  modifiedAt: number;
}

/** The folder name of a node's default storage directory under `<userDir>/m2m-store-forward/`. */
export function storageDirName(nodeId: string): string {
  return nodeId.replace(/[^A-Za-z0-9_.-]/g, "_");
}

async function segmentsOf(dir: string): Promise<{ bytes: number; segments: number; modifiedAt: number }> {
  const out = { bytes: 0, segments: 0, modifiedAt: 0 };
  for (const p of ["p0", "p1", "p2"]) {
    let names: string[];
    try {
      names = await fs.readdir(path.join(dir, p));
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith(".seg")) continue;
      try {
        const st = await fs.stat(path.join(dir, p, n));
        if (!st.isFile() || st.size === 0) continue;
        out.bytes += st.size;
        out.segments++;
        out.modifiedAt = Math.max(out.modifiedAt, st.mtimeMs);
      } catch {
        /* deleted meanwhile */
      }
    }
  }
  return out;
}

/**
 * Folders under `baseDir` holding stored records that belong to none of `liveIds` (the ids of the
 * store-forward nodes deployed now) nor to any of `liveDirs` (the storage directories they use, for a node
 * that adopted a folder through its `dir` setting). Empty folders are not orphans. A missing `baseDir` gives
 * []. Never throws for what it finds on disk.
 */
export async function findOrphans(baseDir: string, liveIds: Iterable<string>, liveDirs: Iterable<string> = []): Promise<Orphan[]> {
  const live = new Set<string>();
  for (const id of liveIds) live.add(storageDirName(id));
  const used = new Set<string>();
  for (const d of liveDirs) used.add(path.resolve(d));
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(baseDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: Orphan[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || live.has(e.name)) continue;
    const dir = path.resolve(baseDir, e.name);
    if (used.has(dir)) continue;
    const s = await segmentsOf(dir);
    if (s.segments > 0) out.push({ dir, name: e.name, ...s });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
