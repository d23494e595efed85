import { crc32 } from 'node:zlib';

/**
 * Luhn mod-10 (ISO/IEC 7812-1 Annex B). Separators (space, dash) are ignored; any length >= 2
 * (cards, Canadian SIN, IMEI): the rule's pattern decides the length.
 */
export function luhn(value: string): boolean {
  let sum = 0;
  let count = 0;
  let double = false;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    if (c < 48 || c > 57) return false;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
    count++;
  }
  return count >= 2 && sum % 10 === 0;
}

/**
 * IBAN check digits, ISO 13616-1 / ISO 7064 MOD 97-10: move the first four chars to the end,
 * letters -> 10..35, the number mod 97 must be 1. Computed digit by digit (no bigint).
 */
export function ibanMod97(value: string): boolean {
  let s = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    s += value[i]!.toUpperCase();
  }
  if (s.length < 15 || s.length > 34) return false;
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(s)) return false; // engine-internal fixed pattern
  const r = s.slice(4) + s.slice(0, 4);
  let mod = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (c >= 48 && c <= 57) mod = (mod * 10 + (c - 48)) % 97;
    else mod = (mod * 100 + (c - 55)) % 97; // A=10 .. Z=35: two digits
  }
  return mod === 1;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 (0-9A-Za-z) of a uint32, left-padded with '0' to 6 chars. */
export function base62Crc(n: number): string {
  let out = '';
  let v = n >>> 0;
  while (v > 0) {
    out = BASE62[v % 62]! + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(6, '0');
}

/**
 * GitHub / npm token checksum: `<prefix>_` + 30 random base62 chars + 6-char base62 CRC32
 * (IEEE, zlib) of those 30 chars. Scheme: https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
 * and https://github.blog/2021-09-23-announcing-npms-new-access-token-format/
 */
function tokenCrc(value: string, prefixes: readonly string[]): boolean {
  const us = value.indexOf('_');
  if (us < 0 || !prefixes.includes(value.slice(0, us))) return false;
  const rest = value.slice(us + 1);
  if (rest.length !== 36) return false;
  for (let i = 0; i < 36; i++) if (BASE62.indexOf(rest[i]!) < 0) return false;
  const body = rest.slice(0, 30);
  return base62Crc(crc32(Buffer.from(body, 'latin1'))) === rest.slice(30);
}

export function githubCrc32(value: string): boolean {
  return tokenCrc(value, ['ghp', 'gho', 'ghu', 'ghs', 'ghr']);
}

export function npmCrc32(value: string): boolean {
  return tokenCrc(value, ['npm']);
}
