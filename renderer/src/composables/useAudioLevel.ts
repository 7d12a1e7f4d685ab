import { onUnmounted, ref } from 'vue';

export interface AudioLevelOptions {
  deviceId?: string;
  echoCancellation?: boolean;
  noiseSuppression?: boolean;
  autoGainControl?: boolean;
}

/**
 * The microphone's level (0..1) while a test runs: getUserMedia with the chosen device and voice
 * processing, an AnalyserNode, RMS per animation frame. Everything stops on unmount.
 */
export function useAudioLevel() {
  const level = ref(0);
  const running = ref(false);
  const error = ref<string>();
  let stream: MediaStream | undefined;
  let context: AudioContext | undefined;
  let frame = 0;

  async function start(opts: AudioLevelOptions = {}): Promise<void> {
    stop();
    error.value = undefined;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          ...(opts.deviceId && opts.deviceId !== 'default' ? { deviceId: { exact: opts.deviceId } } : {}),
          echoCancellation: opts.echoCancellation ?? true,
          noiseSuppression: opts.noiseSuppression ?? true,
          autoGainControl: opts.autoGainControl ?? true,
        },
      });
      context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(stream).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      running.value = true;
      const tick = () => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const rms = Math.sqrt(sum / samples.length);
        // -60 dBFS → 0, 0 dBFS → 1.
        const db = 20 * Math.log10(rms || 1e-6);
        level.value = Math.max(0, Math.min(1, (db + 60) / 60));
        frame = requestAnimationFrame(tick);
      };
      tick();
    } catch (err) {
      error.value = (err as Error).message || String(err);
      stop();
    }
  }

  function stop(): void {
    cancelAnimationFrame(frame);
    stream?.getTracks().forEach((t) => t.stop());
    void context?.close().catch(() => undefined);
    stream = undefined;
    context = undefined;
    running.value = false;
    level.value = 0;
  }

  onUnmounted(stop);
  return { level, running, error, start, stop };
}
