import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorCodes, SluiceError } from '../errors';

export interface KeyChoice {
  /** `--fingerprint-key` (hex or base64). */
  key?: string | undefined;
  /** `--fingerprint-key-file` (e.g. `fingerprint.key` from `sluice keys generate`). */
  keyFile?: string | undefined;
  /** `--ephemeral-key`: a random key for this run only (fingerprints match nothing else). */
  ephemeral?: boolean | undefined;
}

/**
 * The fingerprint key for `sluice scan`: flag, then SLUICE_FINGERPRINT_KEY, then the key files.
 * No key is an error, not a silent random key: fingerprints exist to be compared with the
 * pipeline's (same value, same placeholder), and a random key would make them look comparable
 * while matching nothing. `--ephemeral-key` opts in to that, with a warning on stderr.
 */
export function resolveFingerprintKey(
  choice: KeyChoice,
  env: NodeJS.ProcessEnv,
  warn: (msg: string) => void,
): Buffer {
  let text = choice.key ?? env.SLUICE_FINGERPRINT_KEY;
  let what = choice.key !== undefined ? '--fingerprint-key' : 'SLUICE_FINGERPRINT_KEY';
  const file = choice.keyFile ?? env.SLUICE_FINGERPRINT_KEY_FILE;
  if ((text === undefined || text === '') && file !== undefined && file !== '') {
    what = choice.keyFile !== undefined ? '--fingerprint-key-file' : 'SLUICE_FINGERPRINT_KEY_FILE';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (text === undefined || text === '') {
    if (choice.ephemeral === true) {
      warn(
        'sluice scan: using an ephemeral fingerprint key; fingerprints and placeholders will not match any other run or the pipeline',
      );
      return randomBytes(32);
    }
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'no fingerprint key', {
      hint: 'pass --fingerprint-key / --fingerprint-key-file, set SLUICE_FINGERPRINT_KEY (the pipeline key, so fingerprints match), or --ephemeral-key for a throwaway one',
    });
  }
  const t = text.trim();
  const buf =
    /^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0 ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  // The value itself never goes into the message: it is a secret.
  if (buf.length < 32)
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `${what} must be at least 32 bytes (hex or base64)`, {
      hint: 'generate one with `sluice keys generate` or `openssl rand -hex 32`',
    });
  return buf;
}
