/**
 * Cheap structural anchors for rules that have no literal keyword, and for the decoder.
 * Each is recognised by the prefilter's single pass with a few counters (see prefilter.ts).
 */
export const ANCHOR_KINDS = [
  'digits',
  'email',
  'entropy',
  'ipv4',
  'ipv6',
  'iban',
  'hex',
  'base64',
  'uuid',
] as const;
export type AnchorKind = (typeof ANCHOR_KINDS)[number];

/** Anchor ids: rule anchors first, then decoder-only anchors. */
export const Anchor = {
  digits: 0,
  email: 1,
  entropy: 2,
  ipv4: 3,
  ipv6: 4,
  iban: 5,
  hex: 6,
  base64: 7,
  uuid: 8,
  /** `%XX` (percent-encoding), decoder only. */
  percent: 9,
  /** `\uXXXX` / `\xXX`, decoder only. */
  escape: 10,
} as const;
export const ANCHOR_COUNT = 11;

/** Digit runs (separators space - . ( ) + allowed) with at least this many digits: SSN is 9, phones 8+, cards 13+. */
export const MIN_DIGITS = 7;
/** Runs of base64 / hex / token chars at least this long. */
export const MIN_TOKEN_RUN = 16;
/** Hex digits in a run separated by single `:` / `-` (>= 5 separators): a MAC address has 12. */
export const MIN_SEPARATED_HEX = 12;

/*
 * Anchor semantics (for rule authors; the window around a hit is +-(maxLength [+ context.window])):
 * - digits:  >= 7 digits, single/double separators (space - . ( ) +) allowed between them.
 * - email:   an `@`.
 * - entropy: a run of [A-Za-z0-9+/=_-] of >= 16 chars containing a digit and a letter.
 * - ipv4:    a digit run with >= 3 dots and >= 4 digits.
 * - ipv6:    a run of hex digits and colons with `::` or >= 5 colons.
 * - iban:    two capitals followed by two digits.
 * - hex:     >= 16 contiguous hex digits, or >= 12 hex digits with >= 5 single `:`/`-` separators.
 * - base64:  a run of [A-Za-z0-9+/=_-] of >= 16 chars.
 * - uuid:    such a run of >= 36 chars containing `-`.
 * Alphanumeric ids without long digit runs (licence numbers, CURP) need keywords or `entropy`.
 */
