/**
 * Number of capturing groups in an RE2 pattern, counted from its syntax (no engine needed, so
 * the check is the same for re2-native and re2-wasm): `(` that is not escaped, not inside a
 * character class, and either not followed by `?` or opening a named group (`(?P<n>`, `(?<n>`).
 * https://github.com/google/re2/wiki/Syntax
 */
export function countCaptureGroups(pattern: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      // \Q...\E quotes everything up to \E.
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        i = end < 0 ? pattern.length : end + 1;
      } else i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // `[]a]` and `[^]a]`: a `]` right after the opening is a literal.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
      continue;
    }
    if (c !== '(') continue;
    if (pattern[i + 1] !== '?') n++;
    else if (
      pattern.startsWith('?P<', i + 1) ||
      (pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!')
    )
      n++;
  }
  return n;
}
