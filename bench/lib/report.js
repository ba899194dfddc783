// A benchmark's report: figures printed as a table as they come, and bench/results/<name>.json with each
// figure, its baseline, the ratio and the goal as data. A figure never fails the run.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const resultsDir = path.resolve(__dirname, "..", "results");

const fmt = (x, d = 0) => (typeof x === "number" && Number.isFinite(x) ? x.toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d }) : String(x));
/** Three significant digits, grouped: 392,000; 1.43; 0.0123. */
function num(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return fmt(Math.round(x / 10 ** (Math.floor(Math.log10(a)) - 2)) * 10 ** (Math.floor(Math.log10(a)) - 2));
  if (a >= 100) return fmt(x, 0);
  if (a >= 10) return fmt(x, 1);
  if (a >= 1) return fmt(x, 2);
  if (a === 0) return "0";
  return x.toPrecision(3);
}

/**
 * A goal as data: `{ text, met }`. `atLeast(0.5, "x the change node")` and `atMost(2, "x")` test the figure's
 * ratio when the figure has a baseline, else its value (`of` says which explicitly).
 */
const atLeast = (limit, text, of) => ({ text: `≥ ${num(limit)}${text}`, of, test: (v) => v >= limit });
const atMost = (limit, text, of) => ({ text: `≤ ${num(limit)}${text}`, of, test: (v) => v <= limit });

function gitCommit() {
  const r = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: path.resolve(__dirname, "..", ".."), encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no", "nodes"], { cwd: path.resolve(__dirname, "..", ".."), encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() + (dirty.stdout && dirty.stdout.trim() ? " (nodes/ modified)" : "") : undefined;
}

class Report {
  constructor(name, description) {
    this.data = {
      name,
      description,
      startedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0] && os.cpus()[0].model, memMiB: Math.round(os.totalmem() / 2 ** 20), node: process.version, platform: `${os.platform()} ${os.release()}`, tmpdir: os.tmpdir() },
      commit: gitCommit(),
      sections: [],
      notes: [],
    };
    this.t0 = process.hrtime.bigint();
  }

  /** Start a section of the table: a title and what its figures measure. */
  section(title, what) {
    const s = { title, what, figures: [] };
    this.data.sections.push(s);
    console.log(`\n${title}`);
    if (what) for (const line of wrap(what, 108)) console.log(`  ${line}`);
    return s;
  }

  /**
   * One figure: { name, value, unit, baseline?: { name, value, unit }, ratio?, goal?: atLeast(...)/atMost(...),
   * spread?: {min, max, ...}, note?, data? }. `ratio` defaults to value / baseline.value.
   */
  figure(f) {
    const s = this.data.sections[this.data.sections.length - 1] || this.section("figures");
    const fig = { name: f.name, value: f.value, unit: f.unit };
    if (f.baseline) {
      fig.baseline = f.baseline;
      fig.ratio = f.ratio !== undefined ? f.ratio : f.value / f.baseline.value;
    } else if (f.ratio !== undefined) fig.ratio = f.ratio;
    if (f.spread) fig.spread = f.spread;
    if (f.goal) {
      const on = f.goal.of || (fig.ratio !== undefined ? "ratio" : "value");
      const v = fig[on];
      fig.goal = f.goal.text;
      fig.met = typeof v === "number" && Number.isFinite(v) ? f.goal.test(v) : null;
    }
    if (f.note) fig.note = f.note;
    if (f.data) fig.data = f.data;
    s.figures.push(fig);
    this.print(fig);
    return fig;
  }

  print(fig) {
    let line = `  ${fig.name.padEnd(52)} ${(typeof fig.value === "number" ? num(fig.value) : String(fig.value)).padStart(10)} ${(fig.unit || "").padEnd(12)}`;
    if (fig.baseline) line += ` ${num(fig.ratio)}x ${fig.baseline.name} (${num(fig.baseline.value)} ${fig.baseline.unit || fig.unit || ""})`;
    else if (fig.ratio !== undefined) line += ` ${num(fig.ratio)}x`;
    if (fig.spread) line += ` [${num(fig.spread.min)}–${num(fig.spread.max)}]`;
    if (fig.goal) line += `  goal ${fig.goal}: ${fig.met === null ? "n/a" : fig.met ? "met" : "NOT met"}`;
    console.log(line.trimEnd());
    if (fig.note) for (const l of wrap(fig.note, 104)) console.log(`      ${l}`);
  }

  note(text) {
    this.data.notes.push(text);
    for (const l of wrap(text, 108)) console.log(`  ${l}`);
  }

  /** Write bench/results/<name>.json; returns its path. */
  write() {
    this.data.seconds = Number(process.hrtime.bigint() - this.t0) / 1e9;
    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${this.data.name}.json`);
    fs.writeFileSync(file, JSON.stringify(this.data, null, 2) + "\n");
    console.log(`\n(${fmt(this.data.seconds, 1)} s; figures in ${path.relative(process.cwd(), file)})`);
    return file;
  }
}

function wrap(text, width) {
  const out = [];
  for (const para of String(text).split("\n")) {
    let line = "";
    for (const w of para.split(" ")) {
      if (line && line.length + 1 + w.length > width) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    out.push(line);
  }
  return out;
}

module.exports = { Report, atLeast, atMost, fmt, num, resultsDir };
