// LwM2M codecs (nodes/shared/lwm2m): decodes per second of the OMA spec's Device /3/0 payload (test/fixtures/lwm2m/
// vectors.json: the TLV of LwM2M 1.0 §6.4.3.1 / 1.1 Core §7.4.3 and the SenML CBOR of Core 1.1 Table 7.4.4-2),
// each against JSON.parse of the equivalent JSON (the decoded object, stringified), rounds alternating until the
// median ratio is stable. Also SenML JSON and the TLV encoder, for reference. Figures never fail the run.
// BENCH_LWM2M_N: decodes per slice.
"use strict";
const fs = require("fs");
const path = require("path");
const lib = require("./lib");

const N = process.env.BENCH_LWM2M_N ? Number(process.env.BENCH_LWM2M_N) : 20_000;

function codecs() {
  const file = path.join(lib.dist, "shared", "lwm2m", "index.js");
  if (!fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is missing: run \`npm run build\` first`);
  return require(file);
}

(async () => {
  const l = codecs();
  const { vectors } = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "test", "fixtures", "lwm2m", "vectors.json"), "utf8"));
  const hex = (id) => Buffer.from(vectors.find((v) => v.id === id).hex, "hex");
  const tlv = hex("spec-device-3-0-tlv-resources");
  const senmlCbor = hex("spec-device-3-0-senml-cbor");
  const decoded = l.decode(tlv, l.CONTENT_FORMAT.TLV, "/3/0");
  const senmlJson = l.encode(decoded, l.CONTENT_FORMAT.SENML_JSON, "/3/0");
  const json = JSON.stringify(decoded);
  const jsonBuf = Buffer.from(json);

  const report = new lib.Report("lwm2m", "LwM2M codecs: decodes/s of the spec's /3/0 payload (TLV, SenML CBOR, SenML JSON) against JSON.parse of the equivalent JSON");
  report.section(
    "decode the spec's Device /3/0 (13 resources, 3 multi-instance) into the package's shape",
    `Rates per CPU-second; ${lib.fmt(N)} decodes per slice. Payloads: TLV ${tlv.length} B, SenML CBOR ${senmlCbor.length} B, SenML JSON ${senmlJson.length} B, the JSON baseline ${jsonBuf.length} B (JSON.parse(buffer.toString())).`,
  );
  const loop = (fn) => () => {
    let x;
    for (let i = 0; i < N; i++) x = fn();
    return x;
  };
  const baseline = loop(() => JSON.parse(jsonBuf.toString("utf8")));
  const cases = [
    ["TLV (11542)", loop(() => l.decode(tlv, 11542, "/3/0"))],
    ["SenML CBOR (112)", loop(() => l.decode(senmlCbor, 112, "/3/0"))],
    ["SenML JSON (110)", loop(() => l.decode(senmlJson, 110, "/3/0"))],
    ["TLV encode (11542)", loop(() => l.encode(decoded, 11542, "/3/0"))],
  ];
  for (const [name, fn] of cases) {
    fn();
    baseline();
    const res = await lib.stableRatio(
      async (w) => {
        const t = await lib.timed(w === "a" ? fn : baseline);
        return { work: N, seconds: t.cpu };
      },
      { minRounds: 7, maxRounds: 30, tolerance: 0.03, maxSeconds: 30 },
    );
    report.figure({ name: `${name} (median of rounds)`, value: res.a.median, unit: "ops/s", spread: res.a });
    report.figure({ name: `JSON.parse baseline beside ${name}`, value: res.b.median, unit: "ops/s", spread: res.b });
    report.figure({
      name: `ratio ${name} / JSON.parse`,
      value: res.ratio.median,
      unit: "x",
      spread: res.ratio,
      note: `${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT stable within the limits"}`,
    });
  }
  report.note("The issue sets no goal for these figures: they say what a decode costs beside the cheapest parse of the same data. The reads/s through lwm2m-request and the memory per registration belong to the server's and request node's benches.");
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
