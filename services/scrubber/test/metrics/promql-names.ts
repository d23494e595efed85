// Extracts the metric names a PromQL expression reads, without a full parser: strings, label
// matchers, grouping clauses, ranges and Grafana variables are removed, and what is left that
// looks like an identifier, is not a keyword and is not called as a function is a metric name.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

export function metricNamesIn(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ');
  s = s.replace(/\boffset\s+-?[0-9]+[smhdwy]/g, ' ');
  const out = new Set<string>();
  const re = /([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const name = m[1]!;
    if (m[2]) continue; // a function call
    if (KEYWORDS.has(name)) continue;
    // A number such as 1e9 or a duration looks like an identifier only after a digit.
    const before = s[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    out.add(name);
  }
  return [...out];
}
