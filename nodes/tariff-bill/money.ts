/**
 * Exact money: decimals through big.js, never binary floating point.
 *
 * - A JSON number in a tariff, or a consumption value, is taken as the decimal its shortest form prints:
 *   `String(15.01)` is "15.01", so 15.01 is 15.01 exactly (not 15.0099999999999997868371792719699442386627197265625).
 * - A decimal string ("0.0475") is read as written.
 * - Rounding to the currency's minor digits: half-up (ties away from zero, the published convention) or
 *   half-even (banker's rounding).
 */
import Big from "big.js";

/** Enough places for a quotient (a daily limit × days ÷ (365/12), energy ÷ hours): 20 significant decimals. */
Big.DP = 20;

export type Dec = Big;
export type RoundingMode = "half-up" | "half-even";

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** True if `v` is a finite number or a decimal string. */
export function isDecimal(v: unknown): v is number | string {
  return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && DECIMAL.test(v.trim()));
}

/** The decimal a number prints as (its shortest round-trip form), or a decimal string as written. */
export function dec(v: number | string | Big): Big {
  if (v instanceof Big) return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RangeError(`${v} is not a finite number`);
    return new Big(String(v));
  }
  const s = v.trim();
  if (!DECIMAL.test(s)) throw new RangeError(`"${v}" is not a decimal number`);
  return new Big(s);
}

export const ZERO = new Big(0);
export const ONE = new Big(1);

/** Round to `digits` places with the stated rule. */
export function roundMoney(x: Big, digits: number, mode: RoundingMode): Big {
  return x.round(digits, mode === "half-even" ? Big.roundHalfEven : Big.roundHalfUp);
}

/** A decimal string with exactly `digits` places ("171.55", "-0.40"); never "-0.00". */
export function money(x: Big, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A decimal as plain text without exponent or trailing zeros ("0.0475", "1200", "0.5"). */
export function plain(x: Big): string {
  const s = x.toFixed();
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** A quantity (kWh, kW, days) trimmed to at most `places` decimals for display, without rounding it away silently. */
export function quantity(x: Big, places = 6): string {
  return plain(x.round(places, Big.roundHalfEven));
}

/** The minor digits of an ISO 4217 currency (USD 2, JPY 0, KWD 3), from the runtime's ICU data. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    throw new RangeError(`"${currency}" is not an ISO 4217 currency code such as USD or EUR`);
  }
}
