/**
 * tariff-bill: the Node-RED wrapper, a definition for the shared node runtime. The logic lives in engine.ts (the
 * bill), tariff.ts (the URDB model) and ledger.ts (open periods); this file wires the outputs, commands, status,
 * the state file and the close timer.
 *
 * Outputs: 1 bills (one message per bill), 2 what could not be billed (one message per reading, with a reason).
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { ConfigError, errorMessage } from "../shared/errors";
import { nodeStateDir, registerNode, type Msg } from "../shared/node-runtime";
import { StateFile } from "../shared/state-file";
import { parseTimestamp } from "../shared/time";
import { parseTariffBillConfig, type TariffBillConfig } from "./config";
import type { Bill } from "./engine";
import { FIELDS } from "./fields";
import { Ledger, type LedgerState } from "./ledger";
import { MIGRATIONS } from "./migrations";
import { parseTariff, unwrapUrdb, type Tariff } from "./tariff";
import { isSimpleTariff, simpleToUrdb } from "./simple";
import catalog from "./locales/en-US/tariff-bill.json";

const TYPE = "tariff-bill";
const COMMANDS = ["close", "estimate"];
const TICK_MS = 60_000;
/** A long close bills at most this many devices, or this many milliseconds, per event-loop turn. */
const CLOSE_BATCH = 25;
const CLOSE_SLICE_MS = 10;

export = (RED: NodeAPI) => {
  registerNode<TariffBillConfig>(RED, {
    type: TYPE,
    catalog,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def, env) => parseTariffBillConfig(def, nodeStateDir(env, `m2m-${TYPE}`)),
    summary: (cfg) => ({ tariffId: cfg.ledger.tariff.id, periods: cfg.ledger.tariff.energy.length, zone: cfg.ledger.tariff.timezone }),
    checkers: {
      tariff(text) {
        const t = parseTariff(text);
        // The friendly form (tiers + periods) comes back as the URDB model, so the dialog can show it as JSON.
        const doc = unwrapUrdb(JSON.parse(text));
        const urdb = isSimpleTariff(doc) ? simpleToUrdb(doc) : undefined;
        return { tariffId: t.id, periods: t.energy.length, tiers: Math.max(...t.energy.map((p) => p.length)), zone: t.timezone, currency: t.currency, ...(urdb ? { urdb } : {}) };
      },
    },
    create({ node, config: cfg, status, t, logThrottled }) {
      const ledger = new Ledger(cfg.ledger);
      let stateError: Error | undefined;
      const file = new StateFile<LedgerState>({
        dir: cfg.dir,
        name: "periods.json",
        intervalMs: cfg.saveMs,
        onError: (err) => {
          stateError = err;
          logThrottled("state", t("tariff-bill.errors.state", { error: errorMessage(err) }));
          status.error(() => t("tariff-bill.status.stateError"));
        },
      });
      const loaded = file.load();
      if (loaded.quarantined) node.warn(t("tariff-bill.log.quarantined", { file: loaded.quarantined, reason: loaded.reason ?? "" }));
      ledger.load(loaded.state);
      const snapshot = () => ledger.toJSON();

      let lastTotal = "";
      const showStatus = () => {
        if (stateError) return status.error(() => t("tariff-bill.status.stateError"));
        status.ok(() => (lastTotal ? t("tariff-bill.status.billed", { total: lastTotal }) : t("tariff-bill.status.open", { devices: ledger.deviceCount, intervals: ledger.held })));
      };
      showStatus();

      const billMsg = (b: Bill, topic: string) => ({ topic, payload: b }) as unknown as NodeMessageInFlow;

      // A close or an estimate of many devices (about 11 ms a bill) is spread over event-loop turns: each turn bills
      // a few devices and sends their bills at once; a device's periods leave the ledger in the turn its bills are
      // sent, so a state file written between turns, or on a node close in the middle, holds every period not yet
      // billed (billed after a restart). Jobs run one after another; a node close stops the job between two turns.
      type Job = { ids: string[]; bill: (id: string) => Bill[]; topic: (b: Bill) => string; send: (m: never) => void; changes: boolean };
      let queue: Promise<void> = Promise.resolve();
      let stopped = false;
      const pending = new Set<{ handle: NodeJS.Immediate; resolve: () => void }>();
      const turn = () =>
        new Promise<void>((resolve) => {
          const p = { handle: setImmediate(() => (pending.delete(p), resolve())), resolve };
          pending.add(p);
        });
      const runJob = async (job: Job): Promise<number> => {
        let i = 0;
        let sent = 0;
        while (i < job.ids.length) {
          if (stopped) break;
          const t0 = Date.now();
          const bills: Bill[] = [];
          try {
            for (let k = 0; k < CLOSE_BATCH && i < job.ids.length && (k === 0 || Date.now() - t0 < CLOSE_SLICE_MS); k++) bills.push(...job.bill(job.ids[i++]));
          } finally {
            // A device that fails to bill keeps its periods; the bills made before it in this turn still leave.
            if (bills.length) {
              job.send([bills.map((b) => billMsg(b, job.topic(b))), null] as never);
              sent += bills.length;
              lastTotal = `${bills[bills.length - 1].total} ${bills[bills.length - 1].currency}`;
              if (job.changes) file.changed(snapshot);
            }
          }
          if (i < job.ids.length) await turn();
        }
        if (job.changes) ledger.refreshDue();
        if (stopped && i < job.ids.length) node.warn(t("tariff-bill.log.closeStopped", { done: i, devices: job.ids.length }));
        return sent;
      };
      /** Queue a job (its ids taken when it starts); resolves when it is done. */
      const schedule = (make: () => Job | undefined): Promise<number> => {
        const r = queue.then(async () => {
          const job = stopped ? undefined : make();
          return job ? runJob(job) : 0;
        });
        queue = r.then(
          () => undefined,
          () => undefined,
        );
        return r.finally(showStatus);
      };
      /** Close the months due (data watermark, and the wall clock when `useClock`); at most one such close waits. */
      let dueQueued = false;
      const closeDue = (useClock: boolean, tariff: Tariff, send: (m: never) => void): Promise<number> | undefined => {
        if (ledger.dueReach(Date.now(), useClock) === undefined || dueQueued) return undefined;
        dueQueued = true;
        return schedule(() => {
          dueQueued = false;
          const reach = ledger.dueReach(Date.now(), useClock);
          if (reach === undefined) return undefined;
          return { ids: ledger.dueDevices(reach), bill: (id) => ledger.closeDeviceDue(id, reach, tariff), topic: () => "bill", send, changes: true };
        });
      };

      const timer =
        cfg.ledger.period === "month" && cfg.closeBy === "clock"
          ? setInterval(() => {
              closeDue(true, cfg.ledger.tariff, (m) => node.send(m))?.catch((err: unknown) => logThrottled("tick", t("tariff-bill.errors.close", { error: errorMessage(err) })));
            }, TICK_MS)
          : undefined;
      timer?.unref?.();

      const tariffOf = (msg: Msg): Tariff => {
        if (msg.tariff === undefined) return cfg.ledger.tariff;
        try {
          return parseTariff(msg.tariff, { timezone: cfg.timeZone });
        } catch (err) {
          throw new ConfigError(`msg.tariff: ${errorMessage(err).replace(/^tariff: /, "")}`, err instanceof ConfigError ? err.field : undefined);
        }
      };

      return {
        input(msg: Msg, send) {
          const tariff = tariffOf(msg);
          if (msg.command !== undefined) {
            const command = typeof msg.command === "string" ? msg.command.toLowerCase() : "";
            if (!COMMANDS.includes(command)) throw new Error(t("tariff-bill.errors.command", { command: String(msg.command), commands: COMMANDS.join(", ") }));
            const deviceId = typeof msg.deviceId === "string" && msg.deviceId !== "" ? msg.deviceId : undefined;
            const now = Date.now();
            if (command === "close") {
              const end = msg.periodEnd === undefined ? now : parseTimestamp(msg.periodEnd, { zone: tariff.timezone, ambiguous: "earlier", skipped: "shift" }, "msg.periodEnd");
              return schedule(() => ({ ids: ledger.openDevices(deviceId), bill: (id) => ledger.closeDevice(id, end, tariff), topic: () => "bill", send, changes: true })).then(() => undefined);
            }
            return schedule(() => ({ ids: ledger.openDevices(deviceId), bill: (id) => ledger.estimateDevice(id, now, tariff), topic: () => "estimate", send, changes: false })).then(() => undefined);
          }
          const input = msg.payload;
          const readings = Array.isArray(input) ? input : [input];
          const rejected: NodeMessageInFlow[] = [];
          let changed = false;
          for (const r of readings) {
            const a = ledger.accept(r);
            if (a.ok) changed = true;
            else rejected.push({ _msgid: msg._msgid, topic: "rejected", payload: r, reason: a.reason, ...(a.deviceId ? { deviceId: a.deviceId } : {}) } as unknown as NodeMessageInFlow);
          }
          if (changed) file.changed(snapshot);
          if (rejected.length) send([null, rejected] as never);
          // Months now due close over the next turns (this message is done when its bills are sent).
          const closing = changed ? closeDue(cfg.closeBy === "clock", tariff, send) : undefined;
          const finish = () => {
            showStatus();
            if (stateError) throw new Error(t("tariff-bill.errors.state", { error: errorMessage(stateError) }));
          };
          if (closing) return closing.then(finish);
          finish();
        },
        close() {
          if (timer) clearInterval(timer);
          // A close under way stops between two turns: what it has not billed stays open in the state file.
          stopped = true;
          for (const p of pending) {
            clearImmediate(p.handle);
            p.resolve();
          }
          pending.clear();
          file.close();
        },
      };
    },
  });
};
