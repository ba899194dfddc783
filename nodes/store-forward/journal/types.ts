/** The journal's public types, and the internal shapes its modules share. */

export type Priority = 0 | 1 | 2;
export const PRIORITIES: readonly Priority[] = [0, 1, 2];
export type Durability = "always" | "batch" | "os";
export type Overflow = "drop-oldest" | "drop-newest" | "reject";
export type DropReason = "overflow" | "expired" | "purged" | "disk-full" | "corrupt";

export interface JournalOptions {
  dir: string;
  /**
   * always: fsync before an append resolves; batch: fsync once a 4 KiB page's worth is waiting, or syncIntervalMs
   * after the first record waiting (DEFAULT_SYNC_INTERVAL_MS); os: no fsync.
   */
  durability: Durability;
  syncIntervalMs: number;
  /** A new segment is started once the current one holds this many bytes. */
  segmentBytes: number;
  maxBytes: number;
  maxRecords: number;
  maxAgeMs: number;
  overflow: Overflow;
  /**
   * How often the position of the first unacknowledged record is written (ms, default 1000). Each write is
   * a small file replaced atomically; after a power failure up to this much acknowledged delivery is sent
   * again (a duplicate, with the same key).
   */
  cursorIntervalMs?: number;
  /** Who opens the journal (the node id): written into the folder's lock, named when a second opener is refused. */
  owner?: string;
  now?: () => number;
}

export interface StoredRecord {
  /** Unique within this journal: "p<priority>-<seq>". */
  id: string;
  priority: Priority;
  seq: number;
  enqueuedAt: number;
  key: string;
  data: Buffer;
  /** Bytes the record takes on disk. */
  size: number;
}

export interface RecoveryReport {
  records: number;
  bytes: number;
  /** Bytes cut off the end of a log: a write that power loss interrupted. */
  tornBytes: number;
  /** Records that were stored and could not be read back (corrupt segments). */
  lost: number;
  quarantined: string[];
}

export interface AppendResult {
  accepted: boolean;
  id?: string;
  /** The record's sequence number in its priority's log, when accepted (the number in its id). */
  seq?: number;
  /** Why an incoming record was refused (drop-newest, or disk full). */
  reason?: DropReason;
}

export interface JournalStats {
  depth: number;
  bytes: number;
  byPriority: number[];
  oldestEnqueuedAt: number | undefined;
  drops: Record<DropReason, number>;
  bytesWritten: number;
  appended: number;
  acked: number;
  /** Errors of asynchronous paths (reads, syncs, cursor writes) counted and reported through onError. */
  errors: number;
}

/** An error that says the journal refused a record under the reject policy: the caller should done(err). */
export class JournalFullError extends Error {
  override readonly name = "JournalFullError";
}

export type ResolvedOptions = Required<JournalOptions>;

/** The counters the journal's modules share. */
export interface Counters {
  drops: Record<DropReason, number>;
  bytesWritten: number;
  appended: number;
  acked: number;
  errors: number;
}

export interface Segment {
  first: number;
  file: string;
  size: number;
}

export interface Position {
  seg: number; // index into segments
  off: number;
  seq: number;
}

export interface OutRecord {
  seq: number;
  size: number;
  end: Position;
  acked: boolean;
  enqueuedAt: number;
}

export interface Waiter {
  resolve: (result?: AppendResult) => void;
  reject: (err: Error) => void;
}

export interface Pending {
  seq: number;
  frame: Buffer;
  size: number;
  waiter: Waiter;
  key: string;
  enqueuedAt: number;
}

/** A record written and not yet handed out, kept so that next() need not read it back (issue 7, item 25). */
export interface Written {
  key: string;
  enqueuedAt: number;
  /** The record's data: a view into its frame, no copy. */
  data: Buffer;
  size: number;
}
