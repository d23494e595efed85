/** Plausibility validators: cut values that have the right shape but cannot be real. */

function digitsOf(value: string): string {
  let d = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) d += value[i];
  }
  return d;
}

/**
 * US SSN (SSA rules since 2011 randomisation): 9 digits, area not 000, 666 or 9xx, group not 00,
 * serial not 0000; plus the famous advertising numbers.
 */
export function usSsn(value: string): boolean {
  const d = digitsOf(value);
  if (d.length !== 9) return false;
  const area = d.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (d.slice(3, 5) === '00' || d.slice(5) === '0000') return false;
  return d !== '078051120' && d !== '219099999' && d !== '123456789';
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0x80;
}

/** False when every letter/digit is the same (`111.111.111-11`, `xxxxxxxx`); separators ignored. */
export function notAllSameChar(value: string): boolean {
  let first = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!isAlnum(c)) continue;
    if (first < 0) first = c;
    else if (c !== first) return true;
  }
  return false;
}

/** False for strictly ascending or descending runs (`123456789`, `abcdefgh`), ignoring separators. */
export function notSequential(value: string): boolean {
  let prev = -1;
  let dir = 0;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum) continue;
    if (prev >= 0) {
      const step = c - prev;
      if (step !== 1 && step !== -1) return true;
      if (dir === 0) dir = step;
      else if (step !== dir) return true;
    }
    prev = c;
    n++;
  }
  return n < 3;
}

/** Dotted quad that is routable on the public internet (RFC 1918, 6598, 5737, 3927, loopback, multicast excluded). */
export function ipv4Public(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 4) return false;
  const o: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return false;
    for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) < 48 || p.charCodeAt(i) > 57) return false;
    const v = Number(p);
    if (v > 255) return false;
    o.push(v);
  }
  const [a, b, c] = o as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if (a === 198 && b === 51 && c === 100) return false;
  if (a === 203 && b === 0 && c === 113) return false;
  return true;
}

/** ITU-T E.164: `+`, country code not starting with 0, 8-15 digits in total; separators allowed. */
export function e164Phone(value: string): boolean {
  const t = value.trim();
  if (!t.startsWith('+')) return false;
  for (let i = 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 32 || c === 45 || c === 46 || c === 40 || c === 41)) return false;
  }
  const d = digitsOf(t);
  return d.length >= 8 && d.length <= 15 && d[0] !== '0';
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function realDate(y: number, m: number, d: number): boolean {
  // Dates these rules see are in the past (birth dates, issue dates): 1900 .. this year.
  if (y < 1900 || y > new Date().getUTCFullYear() || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * A real calendar date from 1900 to the current year: YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY
 * (separators - / .), or with an English month name (`March 3, 1991`, `3rd Mar. 1991`).
 */
export function datePlausible(value: string): boolean {
  const t = value.trim().toLowerCase();
  const words = t.split(/[\s,.]+/).filter((w) => w.length > 0); // engine-internal fixed pattern
  const month = words.findIndex((w) => MONTHS.includes(w.slice(0, 3)) && /^[a-z]+$/.test(w));
  if (month >= 0 && words.length === 3) {
    const nums = words.filter((_, i) => i !== month).map((w) => parseInt(w, 10));
    const [a, b] = nums as [number, number];
    const m = MONTHS.indexOf(words[month]!.slice(0, 3)) + 1;
    return a > 31 ? realDate(a, m, b) : realDate(b, m, a);
  }
  const parts = t.split(/[-/.]/); // engine-internal fixed pattern
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,4}$/.test(p))) return false;
  const n = parts.map(Number) as [number, number, number];
  if (parts[0]!.length === 4) return realDate(n[0], n[1], n[2]);
  if (parts[2]!.length === 4) return realDate(n[2], n[1], n[0]) || realDate(n[2], n[0], n[1]);
  return false;
}

const AWS_PREFIXES = [
  'AKIA',
  'ASIA',
  'ABIA',
  'ACCA',
  'AGPA',
  'AIDA',
  'AIPA',
  'ANPA',
  'ANVA',
  'APKA',
  'AROA',
  'ASCA',
];

/** AWS access key id: known 4-char prefix + 16 base32 chars (A-Z, 2-7). */
export function awsKeyId(value: string): boolean {
  if (value.length !== 20 || !AWS_PREFIXES.includes(value.slice(0, 4))) return false;
  for (let i = 4; i < 20; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 50 && c <= 55))) return false;
  }
  return true;
}
