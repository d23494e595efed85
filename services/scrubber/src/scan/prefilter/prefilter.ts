import { AhoCorasick } from './aho-corasick';
import { isUuid } from '../validators/hex-identifier';
import { Anchor, ANCHOR_COUNT, MIN_DIGITS, MIN_SEPARATED_HEX, MIN_TOKEN_RUN } from './anchors';

/**
 * One pass over the (normalised) text that says which rules can match at all, and where.
 * Output is written into a reusable Int32Array of (kind, start, end) triples: kind >= 0 is a
 * keyword id, kind < 0 is anchor id -(kind + 1). No allocation when nothing hits; no closures
 * in the loop. Runs of any length are reported once, as a span (the confirm stage splits them).
 */

// Character classes (bit flags) for ASCII.
const DIGIT = 1;
const HEXALPHA = 2; // a-f A-F
const UPPER = 4;
const LOWER = 8;
const B64SYM = 16; // + / = _ -
const DIGSEP = 32; // space - . ( ) + between digits of cards / phones / SSNs
const COLON = 64;
const RARE = 128; // @ % backslash: handled by a switch
const DASH = 256;
const SPACE = 512; // whitespace: token delimiter for the fast loop (non-ASCII counts as one too)

const TOKEN = DIGIT | HEXALPHA | UPPER | LOWER | B64SYM;
const HEX = DIGIT | HEXALPHA;

const CLS = new Uint16Array(128);
(function initClasses(): void {
  for (let c = 48; c <= 57; c++) CLS[c]! |= DIGIT;
  for (let c = 65; c <= 90; c++) CLS[c]! |= UPPER;
  for (let c = 97; c <= 122; c++) CLS[c]! |= LOWER;
  for (let c = 65; c <= 70; c++) CLS[c]! |= HEXALPHA;
  for (let c = 97; c <= 102; c++) CLS[c]! |= HEXALPHA;
  for (const ch of '+/=_-') CLS[ch.charCodeAt(0)]! |= B64SYM;
  for (const ch of ' -.()+') CLS[ch.charCodeAt(0)]! |= DIGSEP;
  CLS[58]! |= COLON;
  CLS[45]! |= DASH;
  for (const ch of '@%\\') CLS[ch.charCodeAt(0)]! |= RARE;
  for (const ch of ' \t\n\r\f\v') CLS[ch.charCodeAt(0)]! |= SPACE;
})();

export class Prefilter {
  private readonly ac: AhoCorasick;
  /** Which anchors anyone (a rule or the decoder) needs. */
  private readonly wantAnchor: Uint8Array;
  private readonly wantAnyAnchor: boolean;
  hits: Int32Array = new Int32Array(3 * 64);
  count = 0;
  /**
   * A text that is exactly a UUID takes `uuidAnchors` instead of the general anchor pass (same
   * hits, same order). `false` exists so tests can compare the two.
   */
  uuidFastPath = true;

  constructor(keywords: readonly string[], anchors: readonly number[]) {
    this.ac = new AhoCorasick(keywords);
    this.wantAnchor = new Uint8Array(ANCHOR_COUNT);
    for (const a of anchors) this.wantAnchor[a] = 1;
    this.wantAnyAnchor = anchors.length > 0;
  }

  keywordLength(id: number): number {
    return this.ac.lengths[id]!;
  }

  private push(kind: number, start: number, end: number): void {
    if (this.count * 3 + 3 > this.hits.length) {
      const grown = new Int32Array(this.hits.length * 2);
      grown.set(this.hits);
      this.hits = grown;
    }
    const k = this.count * 3;
    this.hits[k] = kind;
    this.hits[k + 1] = start;
    this.hits[k + 2] = end;
    this.count++;
  }

  private anchor(id: number, start: number, end: number): void {
    if (this.wantAnchor[id] === 1) this.push(-(id + 1), start, end);
  }

  private flushToken(start: number, end: number, bits: number): void {
    const len = end - start;
    this.anchor(Anchor.base64, start, end);
    // Mixed letters and digits: a candidate for entropy-based rules.
    if ((bits & DIGIT) !== 0 && (bits & (UPPER | LOWER)) !== 0) this.anchor(Anchor.entropy, start, end);
    if (len >= 36 && (bits & DASH) !== 0) this.anchor(Anchor.uuid, start, end);
  }

  private flushDigits(start: number, end: number, digits: number, dots: number): void {
    if (digits >= MIN_DIGITS) this.anchor(Anchor.digits, start, end);
    if (dots >= 3 && digits >= 4) this.anchor(Anchor.ipv4, start, end);
  }

  private rare(text: string, c: number, i: number): void {
    const n = text.length;
    if (c === 64) this.anchor(Anchor.email, i, i + 1);
    else if (c === 37) {
      if (i + 2 < n && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2)))
        this.anchor(Anchor.percent, i, i + 3);
    } else if (c === 92 && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d === 117 || d === 120) this.anchor(Anchor.escape, i, i + 2);
    }
  }

  /** Scans `text`; results in `hits[0 .. 3*count)` (keyword hits, then anchor hits). Returns count. */
  scan(text: string): number {
    this.count = 0;
    this.keywords(text);
    if (this.wantAnyAnchor) {
      if (this.uuidFastPath && text.length === 36 && isUuid(text, 0, 36)) this.uuidAnchors(text);
      else this.anchors(text);
    }
    return this.count;
  }

  /**
   * The anchor pass on a text that is exactly a UUID (8-4-4-4-12 hex digits): a message id, an
   * event id, a trace id, one or more per record of every source. Only three of detail()'s
   * trackers can fire on one (the token run, digit runs across the dashes, IBAN's two capitals
   * before two digits); the hex trackers never reach their thresholds (groups of at most 12, 4
   * dashes) and nothing else occurs. They are run here alone, in detail()'s order: the in-loop
   * hits by position, then the token's, then a trailing digit run. Profiled: a UUID cost ~1.2 µs
   * in the general pass (its trackers on every char, the candidate scans around them).
   */
  private uuidAnchors(text: string): void {
    let bits = 0;
    let digits = 0;
    let digStart = 0;
    let digEnd = 0;
    let upRun = 0;
    for (let i = 0; i < 36; i++) {
      const c = text.charCodeAt(i);
      const k = CLS[c]!;
      bits |= k;
      if ((k & DIGIT) !== 0) {
        if (digits === 0) digStart = i;
        digits++;
        digEnd = i + 1;
        if (upRun >= 2 && i + 1 < 36) {
          const d = text.charCodeAt(i + 1);
          if (d >= 48 && d <= 57) this.anchor(Anchor.iban, i - 2, i + 2);
        }
        upRun = 0;
      } else {
        upRun = (k & UPPER) !== 0 ? upRun + 1 : 0;
        // A single dash is a digit separator; a hex letter ends the run.
        if (digits !== 0 && c !== 45) {
          this.flushDigits(digStart, digEnd, digits, 0);
          digits = 0;
        }
      }
    }
    this.flushToken(0, 36, bits);
    if (digits !== 0) this.flushDigits(digStart, digEnd, digits, 0);
  }

  /** Keyword pass: the Aho-Corasick automaton (see AhoCorasick for the table layout). */
  private keywords(text: string): void {
    const next = this.ac.next;
    const column = this.ac.column;
    const stride = this.ac.stride;
    const outStart = this.ac.outStart;
    const outList = this.ac.outList;
    const lengths = this.ac.lengths;
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) {
        s = 0;
        continue;
      }
      // s is a row offset; a negative target has keyword outputs.
      s = next[s + column[c]!]!;
      if (s < 0) {
        s = ~s;
        const st = s / stride;
        const oe = outStart[st + 1]!;
        for (let j = outStart[st]!; j < oe; j++) {
          const id = outList[j]!;
          this.push(id, i + 1 - lengths[id]!, i + 1);
        }
      }
    }
  }

  /**
   * Anchor pass: the detailed state machines (detail()) run from the start of every
   * whitespace-delimited token that has an interesting char (digit, @ % \\ :) or is long enough
   * for a token anchor, unless an earlier detail() already ran over it (it may run on past its
   * token: `4532 0151 1283 0366`). Candidate tokens are found without reading the chars between
   * them: the next interesting char by V8's native class scan, the next long token by probing
   * every MIN_TOKEN_RUN-th char. Profiled: the per-char loop this replaces cost ~5 ns per char of
   * chat text here, twice the keyword pass; both find the same tokens (property test).
   */
  private anchors(text: string): void {
    const n = text.length;
    let pos = 0;
    let detailEnd = 0;
    let nextInterest = nextInterestChar(text, 0);
    let nextLong = firstLongToken(text, 0);
    while (nextInterest >= 0 || nextLong >= 0) {
      let start: number;
      let probe: number;
      if (nextLong >= 0 && (nextInterest < 0 || nextLong <= nextInterest)) {
        start = nextLong; // a long token's start
        probe = nextLong;
      } else {
        probe = nextInterest;
        start = tokenStart(text, nextInterest, pos);
      }
      if (start >= detailEnd) detailEnd = this.detail(text, start);
      // Past this token and whatever detail() read: both end on a token boundary.
      pos = Math.max(tokenEnd(text, probe), detailEnd);
      if (pos >= n) return;
      if (nextInterest >= 0 && nextInterest < pos) nextInterest = nextInterestChar(text, pos);
      if (nextLong >= 0 && nextLong < pos) nextLong = firstLongToken(text, pos);
    }
  }

  /**
   * The anchor state machines from `from` (a token start) until whitespace with every tracker
   * idle. Returns the index after that whitespace: the next token start it has not seen.
   */
  private detail(text: string, from: number): number {
    const n = text.length;
    let tokStart = 0;
    let tokLen = 0;
    let tokBits = 0;
    let hexLen = 0;
    let hsStart = 0;
    let hsDigits = 0;
    let hsSeps = 0;
    let digStart = 0;
    let digEnd = 0;
    let digits = 0;
    let dots = 0;
    let sepRun = 0;
    let hcLen = 0;
    let colons = 0;
    let doubleColon = false;
    let upRun = 0;
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      const k = c < 128 ? CLS[c]! : SPACE;

      // Token runs (base64 / entropy / uuid).
      if ((k & TOKEN) !== 0) {
        if (tokLen === 0) tokStart = i;
        tokLen++;
        tokBits |= k;
      } else if (tokLen !== 0) {
        if (tokLen >= MIN_TOKEN_RUN) this.flushToken(tokStart, i, tokBits);
        tokLen = 0;
        tokBits = 0;
      }
      // Hex runs: contiguous (>= 16), or separated by single ':' / '-' (MAC addresses, key fingerprints).
      if ((k & HEX) !== 0) {
        hexLen++;
        if (hsDigits === 0) hsStart = i;
        hsDigits++;
      } else {
        if (hexLen !== 0) {
          if (hexLen >= MIN_TOKEN_RUN) this.anchor(Anchor.hex, i - hexLen, i);
          hexLen = 0;
        }
        if (hsDigits !== 0) {
          if ((c === 58 || c === 45) && hsSeps <= 64 && i > 0 && isHex(text.charCodeAt(i - 1))) hsSeps++;
          else {
            if (hsSeps >= 5 && hsDigits >= MIN_SEPARATED_HEX) this.anchor(Anchor.hex, hsStart, i);
            hsDigits = 0;
            hsSeps = 0;
          }
        }
      }
      // Digit runs with separators; dotted quads.
      if ((k & DIGIT) !== 0) {
        if (digits === 0) digStart = i;
        digits++;
        digEnd = i + 1;
        sepRun = 0;
        // IBAN: two capitals then two digits.
        if (upRun >= 2 && i + 1 < n) {
          const d = text.charCodeAt(i + 1);
          if (d >= 48 && d <= 57) this.anchor(Anchor.iban, i - 2, i + 2);
        }
        upRun = 0;
      } else {
        upRun = (k & UPPER) !== 0 ? upRun + 1 : 0;
        if (digits !== 0) {
          if ((k & DIGSEP) !== 0 && sepRun < 2) {
            sepRun++;
            if (c === 46) dots++;
          } else {
            this.flushDigits(digStart, digEnd, digits, dots);
            digits = 0;
            dots = 0;
            sepRun = 0;
          }
        }
      }
      // Hex-colon groups (IPv6).
      if ((k & (HEX | COLON)) !== 0) {
        if (c === 58) {
          if (hcLen > 0 && text.charCodeAt(i - 1) === 58) doubleColon = true;
          colons++;
        }
        hcLen++;
      } else if (hcLen !== 0) {
        if (colons >= 2 && (doubleColon || colons >= 5)) this.anchor(Anchor.ipv6, i - hcLen, i);
        hcLen = 0;
        colons = 0;
        doubleColon = false;
      }
      if ((k & RARE) !== 0) this.rare(text, c, i);
      i++;
      // Stop on whitespace once every tracker is idle (a digit run may continue over spaces).
      if ((k & SPACE) !== 0 && digits === 0 && tokLen === 0 && hexLen === 0 && hsDigits === 0 && hcLen === 0)
        break;
    }
    if (tokLen >= MIN_TOKEN_RUN) this.flushToken(tokStart, i, tokBits);
    if (hexLen >= MIN_TOKEN_RUN) this.anchor(Anchor.hex, i - hexLen, i);
    if (hsSeps >= 5 && hsDigits >= MIN_SEPARATED_HEX) this.anchor(Anchor.hex, hsStart, i);
    if (digits !== 0) this.flushDigits(digStart, digEnd, digits, dots);
    if (hcLen !== 0 && colons >= 2 && (doubleColon || colons >= 5)) this.anchor(Anchor.ipv6, i - hcLen, i);
    return i;
  }
}

/**
 * The chars that make a token need the detailed anchor machines (CLS classes DIGIT, RARE and
 * COLON: digit, `@`, `%`, backslash, `:`): a fixed, engine-internal pattern (never a rule's)
 * that V8 runs as a native scan (~4 GB/s here). Must stay in step with CLS.
 */
const INTEREST_CHAR = /[0-9@%\\:]/g;
const FIRST_INTEREST_CHAR = /[0-9@%\\:]/;

/** Index of the first INTEREST char at or after `from`, or -1. */
function nextInterestChar(text: string, from: number): number {
  // From the start (once per text): search() gives the index without building a match array.
  if (from === 0) return text.search(FIRST_INTEREST_CHAR);
  INTEREST_CHAR.lastIndex = from;
  const m = INTEREST_CHAR.exec(text);
  return m === null ? -1 : m.index;
}

function isTokenChar(c: number): boolean {
  return c < 128 && (CLS[c]! & SPACE) === 0;
}

/**
 * Start of the first token of >= MIN_TOKEN_RUN chars at or after `from` (a token boundary), or
 * -1. Probes every MIN_TOKEN_RUN-th char (a long token must cover a probe): a delimiter at the
 * probe skips a whole stride; a token char is measured to its ends. Chat words are short, so most
 * chars are never read. Invariant: no long token lies inside [from, i) before probing i.
 */
function firstLongToken(text: string, from: number): number {
  const n = text.length;
  let i = from + MIN_TOKEN_RUN - 1;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i += MIN_TOKEN_RUN;
      continue;
    }
    let s = i;
    while (s > from && isTokenChar(text.charCodeAt(s - 1))) s--;
    let e = i + 1;
    while (e < n && isTokenChar(text.charCodeAt(e))) e++;
    if (e - s >= MIN_TOKEN_RUN) return s;
    i = e + MIN_TOKEN_RUN;
  }
  return -1;
}

/** Start of the token that contains position `i`, not before `from` (tokens are delimited by whitespace and non-ASCII). */
function tokenStart(text: string, i: number, from: number): number {
  while (i > from && isTokenChar(text.charCodeAt(i - 1))) i--;
  return i;
}

/** Index of the delimiter that ends the token containing position `i` (or the text's length). */
function tokenEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n && isTokenChar(text.charCodeAt(i))) i++;
  return i;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
