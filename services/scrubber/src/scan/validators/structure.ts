/** Structural validators: the value must decode as what it claims to be. */

function isB64url(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
}

/** RFC 7519 JWS compact form: three base64url parts; the header is JSON with a string `alg`. */
export function jwt(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0]!.length < 4 || parts[1]!.length < 4) return false;
  for (const p of parts) for (let i = 0; i < p.length; i++) if (!isB64url(p.charCodeAt(i))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/**
 * RFC 7468 PEM: `-----BEGIN <label>-----`, base64 body (header lines such as Proc-Type allowed),
 * matching `-----END <label>-----`. The body must be real base64 of some size.
 */
export function pemBlock(value: string): boolean {
  const begin = value.indexOf('-----BEGIN ');
  if (begin < 0) return false;
  const labelEnd = value.indexOf('-----', begin + 11);
  if (labelEnd < 0) return false;
  const label = value.slice(begin + 11, labelEnd);
  const endMarker = `-----END ${label}-----`;
  const end = value.indexOf(endMarker, labelEnd + 5);
  if (end < 0) return false;
  let b64 = 0;
  for (const line of value.slice(labelEnd + 5, end).split(/\r?\n|\\n/)) {
    const t = line.trim();
    if (t === '' || t.includes(':')) continue;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (!(isB64url(c) || c === 43 || c === 47 || c === 61 || c === 32)) return false;
    }
    b64 += t.length;
  }
  return b64 >= 32;
}

/** Standard or URL-safe base64 (RFC 4648 §4/§5), optional padding, decodes to >= 1 byte. */
export function base64(value: string): boolean {
  let s = value;
  while (s.endsWith('=')) s = s.slice(0, -1);
  if (value.length - s.length > 2 || s.length < 2 || s.length % 4 === 1) return false;
  let std = false;
  let url = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43 || c === 47) std = true;
    else if (c === 45 || c === 95) url = true;
    else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return !(std && url);
}

/** Hex digits only, even length. */
export function hex(value: string): boolean {
  if (value.length === 0 || value.length % 2 !== 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
