import { createHmac } from 'node:crypto';

/** Hex HMAC-SHA-256 (RFC 2104) of the value's UTF-8 bytes: same value -> same placeholder, no value stored. */
export function fingerprint(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/**
 * Masked preview: at most min(4, floor(len/4)) code points from each end joined by `…`, so a
 * 20-char AWS key shows `AKIA…MPLE` and anything under 4 chars shows `…` alone.
 */
export function maskedPreview(value: string): string {
  const cps = Array.from(value);
  const k = Math.min(4, Math.floor(cps.length / 4));
  if (k === 0) return '…';
  return `${cps.slice(0, k).join('')}…${cps.slice(cps.length - k).join('')}`;
}
