/**
 * tariff-bill's config: the dialog's values (field specs) and the tariff (parseTariff), checked together.
 */
import path from "node:path";
import { parseFields } from "../shared/fields";
import { FIELDS } from "./fields";
import type { LedgerOptions } from "./ledger";
import { parseTariff } from "./tariff";

export interface TariffBillConfig {
  ledger: LedgerOptions;
  closeBy: "clock" | "reading";
  /** The zone for a tariff (msg.tariff) that names none. */
  timeZone: string;
  dir: string;
  saveMs: number;
}

/** Parse the node's config; `defaultDir` is its folder under the user directory. Throws a ConfigError naming the field. */
export function parseTariffBillConfig(def: Record<string, unknown>, defaultDir: string): TariffBillConfig {
  const f = parseFields<{
    tariff: string;
    timeZone: string;
    measurement: string;
    demandMeasurement: string;
    intervalSeconds: number;
    period: "month" | "command";
    latenessSeconds: number;
    closeBy: "clock" | "reading";
    saveSeconds: number;
    dir: string;
  }>(FIELDS, def);
  let tariff;
  try {
    tariff = parseTariff(f.tariff, { timezone: f.timeZone });
  } catch (err) {
    // The field is the tariff; the message keeps the place inside it (/energyratestructure/0/1/rate ...).
    if (err instanceof Error) Object.assign(err, { field: "tariff", message: `${FIELDS.tariff.label}: ${err.message.replace(/^tariff: /, "")}` });
    throw err;
  }
  return {
    ledger: {
      tariff,
      measurement: f.measurement,
      demandMeasurement: f.demandMeasurement,
      intervalSeconds: f.intervalSeconds,
      period: f.period,
      latenessSeconds: f.latenessSeconds,
    },
    closeBy: f.closeBy,
    timeZone: f.timeZone,
    dir: f.dir ? path.resolve(f.dir) : defaultDir,
    saveMs: f.saveSeconds * 1000,
  };
}
