/**
 * meter-sim: the Node-RED wrapper, a definition for the shared node runtime. The simulator (simulator.ts) moves
 * only when told the simulated time; this wrapper maps real time onto it (speed × real time, one timer at a time,
 * at most a second long, so a speed change takes effect at once), sends its readings, runs the optional Modbus
 * TCP server, and applies msg.command.
 */
import type { NodeAPI } from "node-red";
import { DateTime } from "luxon";
import { registerNode } from "../shared/node-runtime";
import { InputError, errorMessage } from "../shared/errors";
import { isRec, type Rec } from "../shared/util";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { parseMeterSimConfig, parseMeters, type MeterSimConfig } from "./config";
import { METER_COMMANDS, STORE_COMMANDS, Simulator, type FaultParams, type MeterCommand, type SimEvent, type StoreCommand } from "./simulator";
import { fridgeMessage, readMessage, requestMessage } from "./messages";
import { ModbusTcpServer } from "./modbus-server";

/** Events produced per turn of the event loop: a long catch-up (advance by a month) never holds it. */
const CHUNK = 500;
/** The longest timer: speed and advance commands are seen within this, whatever the next event's time. */
const MAX_WAIT_MS = 1000;
const OTHER_COMMANDS = ["clear", "speed", "advance", "state"] as const;
const ALL_COMMANDS: readonly string[] = [...METER_COMMANDS, ...STORE_COMMANDS, ...OTHER_COMMANDS];

/**
 * A command given as an object (what a dashboard button sends as its payload, e.g. { fault: "door-open", unit: 3 }):
 * its name in `fault` or `command`, its parameters beside it (meter or store, unit, sensor, ppm, factor, count,
 * speed, minutes), which win over the message's own. A command given as a string is the message itself.
 */
function commandOf(msg: Rec): { cmd: unknown; params: Rec } {
  const c = msg.command;
  if (!isRec(c)) return { cmd: c, params: msg };
  const { fault, command, store, ...rest } = c;
  if (fault !== undefined && command !== undefined && fault !== command)
    throw new InputError(`msg.command gives both fault ${JSON.stringify(fault)} and command ${JSON.stringify(command)}: give one`, "bad command");
  const params: Rec = { ...msg, ...rest };
  if (store !== undefined && rest.meter === undefined) params.meter = store;
  return { cmd: fault ?? command, params };
}

function targetsOf(msg: Rec): string[] | undefined {
  const m = msg.meter;
  if (m === undefined || m === null || m === "" || m === "*") return undefined;
  if (typeof m === "string") return [m];
  if (Array.isArray(m) && m.length > 0 && m.every((x) => typeof x === "string" && x !== "")) return m as string[];
  throw new InputError(`msg.meter ${JSON.stringify(m)} must be a meter or store id, a list of them, or absent for all`, "bad meter");
}

function faultParams(msg: Rec): FaultParams {
  const num = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v);
  const sensor = msg.sensor;
  if (sensor !== undefined && sensor !== "supplyAir" && sensor !== "product")
    throw new InputError(`msg.sensor ${JSON.stringify(sensor)} must be "supplyAir" or "product" (absent: both)`, "bad sensor");
  return {
    targets: targetsOf(msg),
    ppm: num(msg.ppm) as number | undefined,
    factor: num(msg.factor) as number | undefined,
    count: num(msg.count) as number | undefined,
    unit: num(msg.unit) as number | undefined,
    sensor: sensor as FaultParams["sensor"],
  };
}

export = (RED: NodeAPI) => {
  registerNode<MeterSimConfig>(RED, {
    type: "meter-sim",
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def) => parseMeterSimConfig(def),
    summary: (cfg) => ({ meters: cfg.sim.meters.length, stores: cfg.sim.stores.length }),
    checkers: {
      meters(text) {
        const { meters, stores } = parseMeters(text);
        return { meters: meters.length, stores: stores.length };
      },
    },
    create({ node, config, status, t, logThrottled }) {
      const sim = new Simulator({ ...config.sim, startMs: config.startMs ?? Date.now() });
      let speed = config.speed;
      let anchorReal = Date.now();
      let anchorSim = sim.now;
      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      let sent = 0;
      const simNow = () => anchorSim + (Date.now() - anchorReal) * speed;
      const reanchor = () => {
        anchorSim = Math.max(sim.now, simNow());
        anchorReal = Date.now();
      };

      const clock = () => DateTime.fromMillis(sim.now, { zone: config.sim.zone }).toFormat("MM-dd HH:mm");
      const showStatus = () => {
        if (serverError) return;
        const faults = sim.activeFaults();
        if (faults > 0) status.warn(() => t("meter-sim.status.faults", { time: clock(), count: faults }));
        else status.ok(() => t("meter-sim.status.ok", { time: clock(), speed: speed === 0 ? "0" : String(speed) }));
      };

      const emitEvent = (e: SimEvent) => {
        let msg: Rec | undefined;
        if (e.kind === "fridge") msg = fridgeMessage(e);
        else if (config.emit === "read") msg = readMessage(e, config.attachMap);
        else if (config.emit === "request") msg = requestMessage(e, config.attachMap);
        if (!msg || config.emit === "none") return;
        const copies = e.kind === "meter" ? e.copies : 1;
        for (let k = 0; k < copies; k++) {
          node.send((k === copies - 1 ? msg : RED.util.cloneMessage(msg)) as never);
          sent++;
        }
      };

      const pump = () => {
        timer = undefined;
        if (closed) return;
        try {
          const until = simNow();
          const events = sim.step(until, CHUNK);
          for (const e of events) emitEvent(e);
          if (sim.now < until) {
            timer = setTimeout(pump, 0); // more due: the next chunk after other work had its turn
          } else if (speed > 0) {
            const wait = (sim.nextEventMs() - simNow()) / speed;
            timer = setTimeout(pump, Math.max(0, Math.min(MAX_WAIT_MS, Number.isFinite(wait) ? wait : MAX_WAIT_MS)));
          }
          showStatus();
        } catch (err) {
          logThrottled("pump", t("meter-sim.errors.pump", { error: errorMessage(err) }));
          if (!closed && !timer) timer = setTimeout(pump, MAX_WAIT_MS);
        }
      };
      const restart = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(pump, 0);
      };

      // The Modbus TCP server, when on: the meters by unit id, on 127.0.0.1.
      let server: ModbusTcpServer | undefined;
      let serverError: string | undefined;
      let listening: Promise<unknown> = Promise.resolve();
      if (config.port !== undefined) {
        server = new ModbusTcpServer(sim, (err) => logThrottled("server", t("meter-sim.errors.server", { error: errorMessage(err) })));
        listening = server.listen(config.port).then(
          (port) => {
            if (!closed) node.log(t("meter-sim.log.listening", { port }));
          },
          (err: Error) => {
            serverError = errorMessage(err);
            node.error(t("meter-sim.errors.listen", { port: config.port as number, error: serverError }));
            status.error(() => t("meter-sim.status.serverError"));
          },
        );
      }
      restart();

      return {
        input(msg, send) {
          const { cmd, params } = commandOf(msg);
          if (typeof cmd !== "string" || !ALL_COMMANDS.includes(cmd))
            throw new InputError(`msg.command ${JSON.stringify(msg.command)} is not a meter-sim command (${ALL_COMMANDS.join(", ")}), as a string or as an object { fault: "<command>", ... }`, "bad command");
          if ((METER_COMMANDS as readonly string[]).includes(cmd)) sim.meterFault(cmd as MeterCommand, faultParams(params));
          else if ((STORE_COMMANDS as readonly string[]).includes(cmd)) sim.storeFault(cmd as StoreCommand, faultParams(params));
          else if (cmd === "clear") sim.clear(targetsOf(params));
          else if (cmd === "speed") {
            const v = typeof params.speed === "string" && params.speed.trim() !== "" ? Number(params.speed) : params.speed;
            if (!(typeof v === "number" && v >= 0 && v <= FIELDS.speed.max))
              throw new InputError(`msg.speed ${JSON.stringify(params.speed)} must be a number from 0 (paused) to ${FIELDS.speed.max} × real time`, "bad speed");
            reanchor();
            speed = v;
          } else if (cmd === "advance") {
            const v = typeof params.minutes === "string" && params.minutes.trim() !== "" ? Number(params.minutes) : params.minutes;
            if (!(typeof v === "number" && v > 0 && v <= 366 * 24 * 60))
              throw new InputError(`msg.minutes ${JSON.stringify(params.minutes)} must be a number of simulated minutes above 0 and at most a year`, "bad minutes");
            reanchor();
            anchorSim += v * 60_000;
          } else if (cmd === "state") {
            msg.topic = "state";
            msg.payload = { ...sim.snapshot(), speed, port: server?.port ?? null, sent, ...(serverError ? { serverError } : {}) };
            send(msg as never);
          }
          if (cmd !== "state") showStatus();
          restart();
        },
        async close() {
          closed = true;
          if (timer) clearTimeout(timer);
          timer = undefined;
          await listening;
          await server?.close();
        },
      };
    },
  });
};
