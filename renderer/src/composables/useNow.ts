import { onUnmounted, ref } from 'vue';

/** The current time as a ref, ticking every `intervalMs` while the component lives (call timers). */
export function useNow(intervalMs = 1000) {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), intervalMs);
  onUnmounted(() => clearInterval(timer));
  return { now };
}
