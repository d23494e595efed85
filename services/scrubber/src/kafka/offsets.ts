/**
 * Kafka offsets as kafkajs hands them over: decimal strings of int64 values. These run for every
 * record, so they use plain numbers where that is exact (up to 15 digits, far beyond any real
 * log) and BigInt beyond.
 */
const EXACT_DIGITS = 15;
const MAX_EXACT = 10n ** 15n - 1n;

/** True when offset `b` is offset `a` + 1. */
export function isNextOffset(a: string, b: string): boolean {
  if (a.length <= EXACT_DIGITS && b.length <= EXACT_DIGITS) return Number(b) === Number(a) + 1;
  return BigInt(b) === BigInt(a) + 1n;
}

/** True when `offset` >= `min`. */
export function offsetAtLeast(offset: string, min: bigint): boolean {
  if (offset.length <= EXACT_DIGITS && min <= MAX_EXACT) return Number(offset) >= Number(min);
  return BigInt(offset) >= min;
}

/** `base` + `n` as an offset string. */
export function offsetPlus(base: string, n: number): string {
  if (base.length <= EXACT_DIGITS) return String(Number(base) + n);
  return (BigInt(base) + BigInt(n)).toString();
}
