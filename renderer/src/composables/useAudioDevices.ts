import { onMounted, onUnmounted, ref } from 'vue';
import { DeviceLabels } from '../audio/device-labels.ts';

export interface AudioDevice {
  id: string;
  label: string;
}

/** The machine's audio inputs and outputs, and its cameras (labels appear once the device was allowed once). */
export function useAudioDevices() {
  const inputs = ref<AudioDevice[]>([]);
  const outputs = ref<AudioDevice[]>([]);
  const cameras = ref<AudioDevice[]>([]);

  async function refresh(): Promise<void> {
    const media = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    if (!media?.enumerateDevices) return;
    const all = await media.enumerateDevices();
    // The label of each id, so a chosen device whose id changes is found again (pickDevice).
    new DeviceLabels().remember(all.map((d) => ({ id: d.deviceId, label: d.label })));
    const pick = (kind: MediaDeviceKind) =>
      all.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default' && d.deviceId !== 'communications').map((d, i) => ({ id: d.deviceId, label: d.label || `#${i + 1}` }));
    inputs.value = pick('audioinput');
    outputs.value = pick('audiooutput');
    cameras.value = pick('videoinput');
  }

  const onChange = () => void refresh().catch(() => undefined);
  onMounted(() => {
    onChange();
    navigator.mediaDevices?.addEventListener?.('devicechange', onChange);
  });
  onUnmounted(() => navigator.mediaDevices?.removeEventListener?.('devicechange', onChange));
  return { inputs, outputs, cameras, refresh };
}
