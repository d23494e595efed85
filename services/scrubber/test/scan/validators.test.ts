import { crc32 } from 'node:zlib';
import { base62Crc } from '../../src/scan/validators/checksums';
import { VALIDATORS } from '../../src/scan/validators/registry';

/** Independent CRC-32 (IEEE 802.3, reflected 0xEDB88320) to cross-check zlib. */
function crc32Ref(s: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) {
    c ^= s.charCodeAt(i);
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function makeToken(prefix: string, body: string): string {
  return `${prefix}_${body}${base62Crc(crc32Ref(body))}`;
}

/** Validators see the match and its surroundings; these tests check the value alone. */
const v =
  (name: string) =>
  (value: string): boolean =>
    VALIDATORS[name]!(value, value, 0, value.length);

describe('validators', () => {
  it('CRC-32 check value and base62 encoding', () => {
    expect(crc32Ref('123456789')).toBe(0xcbf43926); // the CRC-32 check value
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(base62Crc(0)).toBe('000000');
    expect(base62Crc(61)).toBe('00000z');
    expect(base62Crc(62)).toBe('000010');
  });

  it('github-crc32 accepts generated tokens and rejects a changed char', () => {
    const body = 'giyuifIAEfE05GzbL7nRVq8hX4VM3y';
    const tok = makeToken('ghp', body);
    expect(tok).toBe('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');
    expect(v('github-crc32')(tok)).toBe(true);
    expect(v('github-crc32')(makeToken('gho', 'A'.repeat(29) + 'b'))).toBe(true);
    expect(v('github-crc32')(tok.slice(0, 10) + (tok[10] === 'a' ? 'b' : 'a') + tok.slice(11))).toBe(false);
    expect(v('github-crc32')('ghp_abcdefghijklmnopqrstuvwxyzABCD012345')).toBe(false);
    expect(v('github-crc32')(makeToken('npm', body))).toBe(false);
  });

  it('npm-crc32', () => {
    const tok = makeToken('npm', 'KpnmC7stL438hBwCCncuLKRiJLyi6R');
    expect(v('npm-crc32')(tok)).toBe(true);
    expect(v('npm-crc32')(tok.slice(0, -1) + (tok.endsWith('0') ? '1' : '0'))).toBe(false);
  });

  it.each([
    [
      'luhn',
      ['4532015112830366', '4532 0151 1283 0366', '378282246310005', '130891120'],
      ['4532015112830367', '1234567812345678', '45320151128303a6'],
    ],
    [
      'iban-mod97',
      ['DE47370400440532013077', 'GB29 NWBK 6016 1331 9268 19', 'DE89 3704 0044 0532 0130 00'],
      ['DE47370400440532013078', 'XX00', 'GB29NWBK6016133192681'],
    ],
    [
      'jwt',
      ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln'],
      ['eyJub3RhIjoiand0In0.eyJzdWIiOiIxIn0.c2ln', 'a.b', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig!'],
    ],
    [
      'pem-block',
      [
        '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAu1SU1LfVLPHCozMx\n-----END PRIVATE KEY-----',
      ],
      [
        '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
        '-----BEGIN RSA PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAu1SU1LfVLPHCozMx\n-----END PRIVATE KEY-----',
      ],
    ],
    [
      'us-ssn',
      ['536-22-8721', '536 22 8721'],
      ['078-05-1120', '000-12-3456', '666-12-3456', '912-12-3456', '536-00-8721', '536-22-0000'],
    ],
    ['base64', ['dGhpcyBpcyBhIHNlY3JldA==', 'dGhpc_-x'], ['abc$', 'a+b_cdef', 'abcde']],
    ['hex', ['deadBEEF00'], ['abc', 'xyz0']],
    ['not-all-same-char', ['aab', '529.982.247-25'], ['aaaa', '111.111.111-11']],
    ['not-sequential', ['4532015112830366', 'a1b2'], ['123456789', 'abcdefg', '98765']],
    [
      'ipv4-public',
      ['8.8.8.8', '1.1.1.1', '172.32.0.1'],
      [
        '10.0.0.1',
        '192.168.1.1',
        '127.0.0.1',
        '172.16.5.4',
        '256.1.1.1',
        '01.2.3.4',
        '203.0.113.7',
        '224.0.0.1',
      ],
    ],
    [
      'e164-phone',
      ['+14155552671', '+1 (415) 555-2671', '+44 7911 123456'],
      ['14155552671', '+0123456789', '+1234', '+1 415 abc'],
    ],
    [
      'date-plausible',
      ['1986-07-14', '14/07/1986', '07/14/1986', 'March 3, 1991', '3rd Mar 1991'],
      ['1986-13-01', '31/02/1990', '01/01/2099', '1850-01-01', 'Smarch 3, 1991'],
    ],
    [
      'aws-key-id',
      ['AKIAGGAKJSDFV6GUMRZD', 'ASIAQYLPMN5HFIQR7XYZ'],
      ['AKIAGGAKJSDFV6GUMRZ1', 'XXXXGGAKJSDFV6GUMRZD', 'AKIAGGAKJSDFV6GUMRZ'],
    ],
  ] as Array<[string, string[], string[]]>)('%s', (name, good, bad) => {
    for (const g of good) expect([g, v(name)(g)]).toEqual([g, true]);
    for (const b of bad) expect([b, v(name)(b)]).toEqual([b, false]);
  });

  it('registry has every validator of the rules contract', () => {
    const names = [
      'luhn',
      'iban-mod97',
      'github-crc32',
      'npm-crc32',
      'jwt',
      'pem-block',
      'us-ssn',
      'base64',
      'hex',
      'not-all-same-char',
      'not-sequential',
      'ipv4-public',
      'e164-phone',
      'date-plausible',
      'aws-key-id',
      'not-url-userinfo',
    ];
    expect(Object.keys(VALIDATORS).sort()).toEqual(names.sort());
  });
});
