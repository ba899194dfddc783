/**
 * tariff-bill's public API, free of Node-RED: `@m2mflow/node-red-m2m/tariff-bill`.
 * Parse a URDB (v7) tariff with its extensions, and bill intervals to the cent.
 */
export { parseTariff, unwrapUrdb, tariffSchema, type Tariff, type Tier, type Charge } from "./tariff";
export { simpleToUrdb, isSimpleTariff } from "./simple";
export { computeBill, billingDays, type Bill, type BillLine, type BillPeriod, type BillOptions, type Interval, type LineKind } from "./engine";
export { Ledger, type LedgerOptions, type LedgerState, type Accepted } from "./ledger";
export { dec, money, roundMoney, minorDigits, type RoundingMode } from "./money";
