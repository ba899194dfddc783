/** A fleet of simulated devices (sim.ts) built from the node's config, and its commands. */
import { parseFields } from "../shared/fields";
import { FIELDS } from "./fields";
import { PROFILES, type Profile } from "./profiles";
import { SimDevice, type DeviceOptions } from "./sim";

export interface FleetConfig extends Omit<DeviceOptions, "endpoint" | "profile" | "seed" | "hardwareVersion"> {
  count: number;
  prefix: string;
  profiles: Profile[];
  /** Hardware revisions (/3/0/18), given to the devices in turn like the profiles. */
  hardware: string[];
}

export function parseFleetConfig(def: Record<string, unknown>): FleetConfig {
  const f = parseFields<{
    serverHost: string;
    serverPort: number;
    count: number;
    prefix: string;
    profiles: string;
    hardware: string;
    bugHardware: string;
    speed: number;
    lifetime: number;
    binding: "U" | "UQ";
    firmwareVersion: string;
    bugVersion: string;
    rebootEveryMinutes: number;
    downloadSeconds: number;
    updateSeconds: number;
  }>(FIELDS, def);
  return {
    serverHost: f.serverHost,
    serverPort: f.serverPort,
    count: f.count,
    prefix: f.prefix,
    profiles: f.profiles.split(",").map((p) => p.trim() as Profile),
    hardware: f.hardware.split(",").map((h) => h.trim()),
    bugHardware: f.bugHardware.trim(),
    speed: f.speed,
    lifetime: f.lifetime,
    binding: f.binding,
    firmwareVersion: f.firmwareVersion,
    bugVersion: f.bugVersion,
    rebootEveryMinutes: f.rebootEveryMinutes,
    downloadMs: f.downloadSeconds * 1000,
    updateMs: f.updateSeconds * 1000,
  };
}

export class Fleet {
  readonly devices: SimDevice[] = [];

  constructor(cfg: FleetConfig) {
    for (let i = 0; i < cfg.count; i++) {
      const { count: _c, prefix, profiles, hardware, ...rest } = cfg;
      void _c;
      this.devices.push(new SimDevice({ ...rest, endpoint: `${prefix}${i + 1}`, profile: profiles[i % profiles.length], hardwareVersion: hardware[i % hardware.length], seed: i + 1 }));
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.start()));
  }

  device(endpoint: unknown): SimDevice {
    const d = this.devices.find((x) => x.endpoint === endpoint);
    if (!d) throw new Error(`msg.endpoint "${String(endpoint)}" is not one of the simulated devices (${this.devices.map((x) => x.endpoint).slice(0, 5).join(", ")}${this.devices.length > 5 ? ", ..." : ""})`);
    return d;
  }

  /** msg.command: "profile" (msg.endpoint, msg.profile), "reboot" (msg.endpoint), "list". What to answer. */
  command(msg: Record<string, unknown>): unknown {
    switch (msg.command) {
      case "profile": {
        const p = msg.profile;
        if (typeof p !== "string" || !(PROFILES as readonly string[]).includes(p)) throw new Error(`msg.profile "${String(p)}" is not a profile: use one of ${PROFILES.join(", ")}`);
        const targets = msg.endpoint === undefined || msg.endpoint === "*" ? this.devices : [this.device(msg.endpoint)];
        for (const d of targets) d.setProfile(p as Profile);
        return { profile: p, devices: targets.map((d) => d.endpoint) };
      }
      case "reboot": {
        const d = this.device(msg.endpoint);
        d.reboot();
        return d.summary();
      }
      case "list":
        return this.devices.map((d) => d.summary());
      default:
        throw new Error(`msg.command "${String(msg.command)}" is not a command of lwm2m-device-sim: use "profile" (with msg.endpoint and msg.profile), "reboot" (with msg.endpoint) or "list"`);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.close(true)));
  }
}
