import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf } from '../quarantine/payload-cipher';

/**
 * `sluice keys generate --out DIR`: security's X25519 key pair for quarantine payloads and a
 * 32-byte fingerprint key. The private key file is written 0600 and must never be deployed
 * with the scrubber: the scrubber gets the public key only.
 */
export function generateKeys(
  outDir: string,
  opts: { force?: boolean } = {},
): { keyId: string; files: string[] } {
  mkdirSync(outDir, { recursive: true });
  const pub = join(outDir, 'quarantine-public.pem');
  const priv = join(outDir, 'quarantine-private.pem');
  const fp = join(outDir, 'fingerprint.key');
  if (!opts.force && (existsSync(pub) || existsSync(priv))) {
    throw new Error(
      `${outDir} already holds quarantine keys; pass --force to replace them (old payloads stay readable only with the old private key)`,
    );
  }
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyId = keyIdOf(publicKey);
  writeFileSync(pub, pubPem, { mode: 0o644 });
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  if (opts.force || !existsSync(fp))
    writeFileSync(fp, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  writeFileSync(join(outDir, 'key-id'), keyId + '\n');
  return { keyId, files: [pub, priv, fp] };
}
