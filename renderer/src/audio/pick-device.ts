/**
 * Which device to open for a remembered choice. Settings keep a device id, but ids are not
 * forever (a browser profile reset, another origin, a USB headset on another port), and devices
 * come and go during a call. So:
 *
 * - 'default' is the system's default;
 * - the saved id, when a device has it;
 * - else a device with the label the saved id last had (the same headset under a new id);
 * - else the system default, until the chosen device is back: a later pick with the new list
 *   finds it again. Settings never change on their own.
 *
 * Before the page may see devices (no microphone permission yet), the list has no ids: the saved
 * id is tried as it is ('unknown').
 */
export interface ListedDevice {
  /** `MediaDeviceInfo.deviceId`; '' while the page may not see devices. */
  id: string;
  label: string;
}

export type DeviceMatch = 'default' | 'id' | 'label' | 'fallback' | 'unknown';

export interface DeviceChoice {
  /** The id to open; 'default' for the system's default. */
  id: string;
  match: DeviceMatch;
}

export interface PickDeviceOptions {
  /** The id kept in settings. */
  saved: string;
  /** The label that id had when last seen, if known. */
  savedLabel?: string;
  /** The devices of the right kind now present (`enumerateDevices`). */
  devices: readonly ListedDevice[];
}

/** Chromium's aliases for "whatever the system uses": never a device of their own. */
const ALIASES = new Set(['default', 'communications']);

export function pickDevice(opts: PickDeviceOptions): DeviceChoice {
  const { saved, savedLabel, devices } = opts;
  if (!saved || saved === 'default') return { id: 'default', match: 'default' };
  const real = devices.filter((d) => d.id && !ALIASES.has(d.id));
  if (real.length === 0 && !devices.some((d) => d.id)) return { id: saved, match: 'unknown' };
  if (real.some((d) => d.id === saved)) return { id: saved, match: 'id' };
  const label = savedLabel?.trim();
  const same = label ? real.find((d) => d.label.trim() === label) : undefined;
  if (same) return { id: same.id, match: 'label' };
  return { id: 'default', match: 'fallback' };
}
