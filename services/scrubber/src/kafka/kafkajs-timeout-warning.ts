/**
 * kafkajs 2.2.4 (its last release) schedules its request-queue check with
 * `setTimeout(fn, throttledUntil - Date.now())` while `throttledUntil` is still -1, which Node 24
 * reports as a TimeoutNegativeWarning on every connection (kafkajs issue #1751). The delay Node
 * uses then (1 ms) is what kafkajs meant; only the three lines of stderr noise per client are
 * wrong. This drops exactly that warning when it comes from kafkajs' request queue; every other
 * warning, including TimeoutNegativeWarning from anywhere else, is emitted as before.
 */
let installed = false;

export function installKafkajsTimeoutWarningFilter(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  const filtered = (...args: unknown[]): void => {
    if (!isKafkajsTimeoutWarning(args, new Error().stack ?? '')) emit(...args);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}

/** The arguments of a process.emitWarning call name the kafkajs request-queue warning. */
export function isKafkajsTimeoutWarning(args: readonly unknown[], stack: string): boolean {
  const [warning, second] = args;
  const type =
    typeof second === 'string'
      ? second
      : typeof second === 'object' && second !== null && 'type' in second
        ? String((second as { type?: unknown }).type)
        : warning instanceof Error
          ? warning.name
          : '';
  return type === 'TimeoutNegativeWarning' && isFromKafkajsRequestQueue(stack);
}

export function isFromKafkajsRequestQueue(stack: string): boolean {
  return /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(stack);
}

installKafkajsTimeoutWarningFilter();
