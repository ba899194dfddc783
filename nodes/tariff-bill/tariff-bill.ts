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

export = (RED: NodeAPI) => {
  registerNode<TariffBillConfig>(RED, {
    type: TYPE,
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
    create({ node, config: cfg, status, t: translate, logThrottled }) {
      // The node's own catalog when Node-RED has not loaded it (a test harness, a node used outside the editor's
      // runtime): an error never reads as its key.
      const t = (key: string, params?: Record<string, string | number>): string => {
        const s = translate(key, params);
        if (s !== key && !s.endsWith(key)) return s;
        let o: unknown = catalog;
        for (const k of key.split(".")) o = o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined;
        return typeof o === "string" ? o.replace(/__(\w+)__/g, (m, p: string) => (params?.[p] !== undefined ? String(params[p]) : m)) : s;
      };
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
      const emit = (bills: Bill[], send: (m: never) => void) => {
        if (!bills.length) return;
        lastTotal = `${bills[bills.length - 1].total} ${bills[bills.length - 1].currency}`;
        send([bills.map((b) => billMsg(b, b.final ? "bill" : "estimate")), null] as never);
        file.changed(snapshot);
      };

      const timer =
        cfg.ledger.period === "month" && cfg.closeBy === "clock"
          ? setInterval(() => {
              try {
                emit(ledger.closeDue(Date.now(), true), (m) => node.send(m));
                showStatus();
              } catch (err) {
                logThrottled("tick", t("tariff-bill.errors.close", { error: errorMessage(err) }));
              }
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
              emit(ledger.closeAll(end, tariff, deviceId), send);
            } else {
              const bills = ledger.estimate(now, tariff, deviceId);
              if (bills.length) send([bills.map((b) => billMsg(b, "estimate")), null] as never);
            }
            showStatus();
            return;
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
          const bills = changed ? ledger.closeDue(Date.now(), cfg.closeBy === "clock", tariff) : [];
          send([bills.length ? bills.map((b) => billMsg(b, "bill")) : null, rejected.length ? rejected : null] as never);
          if (bills.length) {
            lastTotal = `${bills[bills.length - 1].total} ${bills[bills.length - 1].currency}`;
            file.changed(snapshot);
          }
          showStatus();
          if (stateError) throw new Error(t("tariff-bill.errors.state", { error: errorMessage(stateError) }));
        },
        close() {
          if (timer) clearInterval(timer);
          file.close();
        },
      };
    },
  });
};
