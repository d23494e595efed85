/**
 * Hex identifiers (UUIDs, hashes, git SHAs, trace ids) are full of digit runs and of letters a-f,
 * so a number rule can find a "routing number" in `c012345678de` and a context word such as `aba`
 * in `…-aba5-…` of the same UUID. Neither is personal data: a span that lies inside such an
 * identifier is not a number someone wrote, and a word inside one is not context.
 */

/** Hex identifiers shorter than this (without dashes) are left alone: `dead`, `cafe1234`. */
const MIN_HEX_RUN = 16;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * True when the span starts or ends inside a hex identifier: a UUID, or a run of >= 16 hex digits
 * that mixes letters and digits. Both ends are checked because a number rule can join the tail of
 * one identifier to the head of the next across a space.
 */
export function insideHexIdentifier(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  return hexIdentifierAt(text, start) || (end - 1 !== start && hexIdentifierAt(text, end - 1));
}

/** True when the character at `p` is a hex digit of a hex identifier. */
function hexIdentifierAt(text: string, p: number): boolean {
  if (!isHex(text.charCodeAt(p))) return false;
  let l = p;
  while (l > 0 && isHex(text.charCodeAt(l - 1))) l--;
  let r = p + 1;
  while (r < text.length && isHex(text.charCodeAt(r))) r++;
  if (r - l >= MIN_HEX_RUN && mixesLettersAndDigits(text, l, r)) return true;
  if (r - l > 12) return false; // longer than any UUID group
  // A UUID: extend over single dashes between hex runs, at most 36 characters.
  let ul = l;
  while (ul > 1 && r - ul < 36 && text.charCodeAt(ul - 1) === 45 && isHex(text.charCodeAt(ul - 2))) {
    ul -= 2;
    while (ul > 0 && isHex(text.charCodeAt(ul - 1))) ul--;
  }
  let ur = r;
  while (
    ur + 1 < text.length &&
    ur - ul < 36 &&
    text.charCodeAt(ur) === 45 &&
    isHex(text.charCodeAt(ur + 1))
  ) {
    ur += 2;
    while (ur < text.length && isHex(text.charCodeAt(ur))) ur++;
  }
  return isUuid(text, ul, ur);
}

function mixesLettersAndDigits(text: string, l: number, r: number): boolean {
  let letter = false;
  let digit = false;
  for (let i = l; i < r; i++) {
    const c = text.charCodeAt(i);
    if (c <= 57) digit = true;
    else letter = true;
    if (letter && digit) return true;
  }
  return false;
}

/**
 * A fixed, engine-internal pattern (not a rule), sticky so it matches at lastIndex only. V8 runs
 * it natively: every chat message id and event id is checked here, and the per-char loop it
 * replaces took ~0.5 µs per UUID on this machine.
 */
const UUID_AT = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/y;

/** True when text[s, e) is exactly a UUID (8-4-4-4-12 hex digits, either case). */
export function isUuid(text: string, s: number, e: number): boolean {
  if (e - s !== 36) return false;
  UUID_AT.lastIndex = s;
  return UUID_AT.test(text); // a match from s is 36 chars long, so it ends at e
}
