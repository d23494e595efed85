/**
 * Structural decoding: secrets hidden in base64 (std + url), hex, percent-encoding or
 * `\uXXXX` / `\xXX` escapes are scanned in decoded form. The engine maps a finding inside a
 * decoded run back to the WHOLE encoded run (that is what gets redacted).
 * Only runs whose decoded bytes are mostly printable UTF-8 are scanned: random tokens decode
 * to binary noise and are dropped cheaply.
 */
import { isUuid } from './validators/hex-identifier';

export type EncodingKind = 'base64' | 'hex' | 'percent' | 'escape';

/** Encoded runs shorter than this are not worth decoding. */
export const MIN_ENCODED_RUN = 16;
/** Long runs are decoded in chunks of this many encoded chars (multiple of 4 and 2). */
export const DECODE_CHUNK = 48 * 1024;
/** Share of printable chars a decoded chunk needs to be scanned. */
const MIN_PRINTABLE = 0.9;

export interface EncodedRun {
  kind: EncodingKind;
  start: number;
  end: number;
}

function isBase64Char(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 43 ||
    c === 47 ||
    c === 45 ||
    c === 95
  );
}

/**
 * Base64 candidates inside a token run [start, end): split at `=` that is not trailing padding
 * (`key=dGhpcy...` holds a run after the `=`). Pushes runs of >= MIN_ENCODED_RUN chars.
 */
export function base64Runs(text: string, start: number, end: number, out: EncodedRun[]): void {
  // The usual token of this shape: a whole message or event id, skipped below in any case.
  if (end - start === 36 && isUuid(text, start, end)) return;
  let i = start;
  while (i < end) {
    while (i < end && !isBase64Char(text.charCodeAt(i))) i++;
    const s = i;
    // The run's end by V8's native class scan (sticky: from i only; test() leaves lastIndex at
    // the end of the match, which may be empty). The per-char loop it replaces cost ~0.6 µs per
    // UUID-length token here, and every chat message id went through it.
    BASE64_RUN.lastIndex = i;
    BASE64_RUN.test(text);
    i = Math.min(end, BASE64_RUN.lastIndex);
    let e = i;
    while (e < end && text.charCodeAt(e) === 61 && e - i < 2) e++; // padding
    // A UUID is a base64url-alphabet run too (hex and dashes), and every chat message id is one:
    // decoded it is 27 bytes of noise, never text, so it is not worth a decode and a rescan.
    if (i - s >= MIN_ENCODED_RUN && !isUuid(text, s, i)) out.push({ kind: 'base64', start: s, end: e });
    i = e > i ? e : i + 1;
  }
}

/** isBase64Char as a fixed, engine-internal pattern (keep the two in step). */
const BASE64_RUN = /[0-9A-Za-z+/_-]*/y;

function isRunChar(c: number): boolean {
  // Non-space, and not a quote or bracket that usually delimits the encoded value.
  return c > 0x20 && c !== 0x22 && c !== 0x27 && c !== 0x3c && c !== 0x3e && c !== 0x60 && c !== 0x7f;
}

/** The maximal run of value chars around position `at` (for percent and escape encodings). */
export function runAround(text: string, at: number, kind: EncodingKind): EncodedRun {
  let s = at;
  while (s > 0 && isRunChar(text.charCodeAt(s - 1))) s--;
  let e = at;
  while (e < text.length && isRunChar(text.charCodeAt(e))) e++;
  return { kind, start: s, end: e };
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function decodePercent(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        bytes.push(h * 16 + l);
        i += 2;
        continue;
      }
    }
    if (c === 43) bytes.push(32);
    else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeEscapes(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < s.length) {
      const t = s.charCodeAt(i + 1);
      const n = t === 117 ? 4 : t === 120 ? 2 : 0;
      if (n > 0 && i + 1 + n < s.length + 0) {
        let v = 0;
        let ok = true;
        for (let k = 0; k < n; k++) {
          const h = hexVal(s.charCodeAt(i + 2 + k));
          if (h < 0) {
            ok = false;
            break;
          }
          v = v * 16 + h;
        }
        if (ok) {
          out += String.fromCharCode(v);
          i += 1 + n;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

/** Decode one chunk of a run; null when the result is not mostly printable text. */
export function decodeChunk(kind: EncodingKind, s: string): string | null {
  let text: string;
  if (kind === 'base64') text = Buffer.from(s, 'base64').toString('utf8');
  else if (kind === 'hex') {
    if (s.length % 2 !== 0) s = s.slice(0, -1);
    text = Buffer.from(s, 'hex').toString('utf8');
  } else if (kind === 'percent') text = decodePercent(s);
  else text = decodeEscapes(s);
  if (text.length < 4 || text === s) return null;
  return mostlyPrintable(text) ? text : null;
}

export function mostlyPrintable(text: string): boolean {
  let good = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13 || (c >= 0xa0 && c !== 0xfffd)) good++;
  }
  return good >= text.length * MIN_PRINTABLE;
}
