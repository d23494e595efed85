/**
 * Synthetic secrets and personal data for demos, tests and benchmarks. Every value is random and
 * fake but has the real shape (prefixes, lengths, checksums), so detectors must work for real.
 */
import { crc32 } from 'node:zlib';
import { base62Crc } from '../scan/validators/checksums';

export type Rng = () => number;

/** Small fast seeded PRNG (mulberry32): deterministic corpora across runs. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

export function randomChars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const B64 = BASE62 + '+/';

export function awsAccessKeyId(rng: Rng): string {
  return 'AKIA' + randomChars(rng, BASE32, 16);
}

export function awsSecretAccessKey(rng: Rng): string {
  return randomChars(rng, B64, 40);
}

/** Luhn check digit for a digit string. */
export function luhnDigit(body: string): number {
  let sum = 0;
  let dbl = true;
  for (let i = body.length - 1; i >= 0; i--) {
    let d = body.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return (10 - (sum % 10)) % 10;
}

export function cardNumber(rng: Rng): string {
  const prefix = pick(rng, ['4', '51', '52', '53', '54', '55']);
  const body = prefix + randomChars(rng, '0123456789', 15 - prefix.length);
  const full = body + String(luhnDigit(body));
  // Usually written in groups of four.
  return rng() < 0.5 ? full : full.replace(/(\d{4})(?=\d)/g, '$1 ');
}

const FIRST = [
  'ada',
  'grace',
  'alan',
  'linus',
  'margaret',
  'ken',
  'barbara',
  'dennis',
  'radia',
  'edsger',
  'frances',
  'tim',
];
const LAST = [
  'lovelace',
  'hopper',
  'turing',
  'torvalds',
  'hamilton',
  'thompson',
  'liskov',
  'ritchie',
  'perlman',
  'dijkstra',
];
const DOMAINS = ['example-corp.com', 'mailbox.org', 'acme.io', 'initech.net', 'globex.co.uk', 'umbrella.dev'];

export function emailAddress(rng: Rng): string {
  return `${pick(rng, FIRST)}.${pick(rng, LAST)}${Math.floor(rng() * 100)}@${pick(rng, DOMAINS)}`;
}

export function privateKeyPem(rng: Rng): string {
  const lines: string[] = [];
  for (let i = 0; i < 8; i++) lines.push(randomChars(rng, B64, 64));
  return `-----BEGIN RSA PRIVATE KEY-----\n${lines.join('\n')}\n${randomChars(rng, B64, 20)}==\n-----END RSA PRIVATE KEY-----`;
}

export function upperWord(rng: Rng, n: number): string {
  return randomChars(rng, UPPER, n);
}

export function base62(rng: Rng, n: number): string {
  return randomChars(rng, BASE62, n);
}

/** A GitHub classic token with a valid checksum: ghp_ + 30 base62 + base62(CRC32 of those 30). */
export function githubToken(rng: Rng): string {
  const body = randomChars(rng, BASE62, 30);
  return `ghp_${body}${base62Crc(crc32(Buffer.from(body, 'latin1')))}`;
}
