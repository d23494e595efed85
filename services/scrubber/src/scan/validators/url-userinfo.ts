/**
 * Span validators: they look at the text around a match, not just the value (RE2 has no
 * lookbehind, so "what comes before" is checked here).
 */

/** RFC 3986 userinfo chars (unreserved, pct-encoded, sub-delims), without `:`. */
function isUserinfoChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 126 ||
    c === 37 || // - . _ ~ %
    c === 33 ||
    c === 36 ||
    c === 38 ||
    c === 39 ||
    c === 40 ||
    c === 41 ||
    c === 42 ||
    c === 43 ||
    c === 44 ||
    c === 59 ||
    c === 61 // ! $ & ' ( ) * + , ; =
  );
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** How far back to look for the `//` of a URL authority: userinfo longer than this is not credible. */
const MAX_USERINFO = 256;

/**
 * False when [start, end) is the `password@host` or `user@host` part of a URL authority
 * (`postgres://app:pw@db`, `https://deploy@git.acme.io`) or of an SCP-like remote
 * (`git@github.com:acme/app.git`): a credential for the URL rules or an account name, not an
 * email address. `mailto:jane@x.io` and `Email:jane@x.io` stay emails (no `//`).
 */
export function notUrlUserinfo(_value: string, text: string, start: number, end: number): boolean {
  // SCP-like remote `git@github.com:acme/app.git` (user@host:path), not `mail jane@x.io: hi`.
  if (end + 1 < text.length && text.charCodeAt(end) === 58 && !isSpace(text.charCodeAt(end + 1)))
    return false;
  let i = start;
  if (i >= 2 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 47) return false; // //user@host
  if (i < 1 || text.charCodeAt(i - 1) !== 58) return true;
  // `:` before the local part: walk back over the user name to see whether `//` opens it.
  i--;
  const stop = Math.max(0, i - MAX_USERINFO);
  while (i > stop && isUserinfoChar(text.charCodeAt(i - 1))) i--;
  return !(i >= 2 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 47);
}
