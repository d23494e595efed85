/**
 * Cheap checks on a `digits` anchor hit before any RE2 call (issue #3: digit anchors fire on every
 * timestamp, date and numeric id). A run like `2023-12-24` has 8 digits, so a card rule
 * (`minDigits: 15`) cannot match in it; a 13-digit epoch in milliseconds passes the count but
 * rarely holds a Luhn-valid stretch. Both checks are exact: they only skip runs where no match of
 * the rule could pass its validators.
 */
export class DigitRun {
  /** Digits of the current run, separators dropped. */
  private readonly digits = new Uint8Array(MAX_CHECKED_DIGITS);
  count = 0;
  /** More digits than MAX_CHECKED_DIGITS: checks answer "possible" (RE2 decides). */
  overflow = false;
  private start = -1;
  private end = -1;
  /** luhnPossible per minLen for the loaded run: -1 not computed, 0 no, 1 yes (payment rules share it). */
  private readonly luhn = new Int8Array(MAX_LUHN_LEN + 1).fill(-1);

  /** Loads hit [s, e) of `text` (no-op when it is already loaded). */
  load(text: string, s: number, e: number): void {
    if (s === this.start && e === this.end) return;
    this.start = s;
    this.end = e;
    this.count = 0;
    this.overflow = false;
    this.luhn.fill(-1);
    for (let i = s; i < e; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) continue;
      if (this.count === MAX_CHECKED_DIGITS) {
        this.overflow = true;
        return;
      }
      this.digits[this.count++] = c;
    }
  }

  /** Forget the loaded run (the next text reuses offsets). */
  reset(): void {
    this.start = -1;
    this.end = -1;
  }

  /**
   * True when some contiguous stretch of at least `minLen` (and at most 19) digits passes the Luhn
   * check (ISO/IEC 7812-1 Annex B), i.e. a Luhn-validated rule could match inside this run.
   */
  luhnPossible(minLen: number): boolean {
    if (this.overflow) return true;
    if (minLen > MAX_LUHN_LEN || minLen < 0) return this.luhnScan(minLen);
    const known = this.luhn[minLen]!;
    if (known !== -1) return known === 1;
    const possible = this.luhnScan(minLen);
    this.luhn[minLen] = possible ? 1 : 0;
    return possible;
  }

  private luhnScan(minLen: number): boolean {
    const d = this.digits;
    const n = this.count;
    const lo = Math.max(2, minLen); // the luhn validator needs at least 2 digits
    // For each end j, sum digits leftwards with Luhn weights (every second digit from the right doubled).
    for (let j = lo - 1; j < n; j++) {
      let sum = 0;
      for (let k = 0; k <= j && k < MAX_LUHN_LEN; k++) {
        const x = d[j - k]!;
        sum += (k & 1) === 1 ? DOUBLED[x]! : x;
        if (k + 1 >= lo && sum % 10 === 0) return true;
      }
    }
    return false;
  }
}

const MAX_CHECKED_DIGITS = 64;
/** Payment card numbers are at most 19 digits (ISO/IEC 7812). */
const MAX_LUHN_LEN = 19;
const DOUBLED = Uint8Array.from([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]);
