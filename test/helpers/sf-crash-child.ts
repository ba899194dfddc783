// A child process for the crash test: opens the store-forward journal in argv[2] with durability argv[3],
// then appends records forever, P0..P2, while it also delivers (hands out and acknowledges) some of them.
// It prints one line per event, synchronously (stdout is a pipe: writes are synchronous on Linux):
//   R <records> <lost> <tornBytes>   recovery report on open
//   A <key>                          the append promise resolved: upstream done() would have fired now
//   C <key>                          the record was handed out and acknowledged (delivered): it may go
// The parent kills it with SIGKILL at random moments.
import { Journal, type Durability, type Priority } from "../../nodes/store-forward/journal";

const [dir, durability] = process.argv.slice(2);
const j = Journal.open({
  dir, durability: durability as Durability, syncIntervalMs: 5, segmentBytes: 8192, maxBytes: 1e12, maxRecords: 1e9,
  maxAgeMs: 1e12, overflow: "drop-oldest", cursorIntervalMs: 3,
});
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`R ${j.recovery.records} ${j.recovery.lost} ${j.recovery.tornBytes}`);

let i = 0;
async function run(): Promise<void> {
  for (;;) {
    const appends: Promise<void>[] = [];
    for (let k = 0; k < 1 + (i % 17); k++) {
      const key = `${process.pid}-${i++}`;
      const data = Buffer.from(JSON.stringify({ key, pad: "x".repeat(i % 300) }));
      appends.push(
        j.append((i % 3) as Priority, key, data).then((r) => {
          out(`${r.accepted ? "A" : "X"} ${key}`);
        }),
      );
    }
    for (let k = 0; k < i % 11; k++) {
      const r = j.next();
      if (!r) break;
      j.ack(r.id);
      out(`C ${r.key}`);
    }
    await Promise.all(appends);
  }
}
run().catch((err) => {
  out(`E ${(err as Error).message}`);
  process.exit(1);
});
