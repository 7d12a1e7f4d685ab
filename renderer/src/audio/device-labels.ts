/**
 * The label each device id was last seen with, so a device whose id changed can be found by its
 * label (pickDevice). Kept in the page's localStorage (renderer-side knowledge: the engine's
 * settings keep ids only), in memory where there is no storage.
 */
import type { ListedDevice } from './pick-device.ts';

export interface LabelStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY = 'appel.audio.device-labels';
/** Enough for every headset a person owns; the oldest are forgotten first. */
const MAX = 64;

function memoryStorage(): LabelStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

function defaultStorage(): LabelStorage {
  try {
    if (typeof localStorage !== 'undefined' && localStorage) return localStorage;
  } catch {
    // Storage refused (opaque origin): memory will do.
  }
  return memoryStorage();
}

export class DeviceLabels {
  private readonly storage: LabelStorage;

  constructor(storage: LabelStorage = defaultStorage()) {
    this.storage = storage;
  }

  private read(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(KEY) ?? '{}');
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  labelOf(id: string): string | undefined {
    const label = this.read()[id];
    return typeof label === 'string' && label ? label : undefined;
  }

  /** Notes the labels of the devices seen now (unlabelled ones, before permission, are skipped). */
  remember(devices: readonly ListedDevice[]): void {
    const known = this.read();
    let changed = false;
    for (const d of devices) {
      if (!d.id || !d.label || d.id === 'default' || d.id === 'communications' || known[d.id] === d.label) continue;
      delete known[d.id]; // re-inserted last: the newest stay when trimming
      known[d.id] = d.label;
      changed = true;
    }
    if (!changed) return;
    const ids = Object.keys(known);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX))) delete known[id];
    try {
      this.storage.setItem(KEY, JSON.stringify(known));
    } catch {
      // Full or refused: the label is only a help to find a device again.
    }
  }
}
