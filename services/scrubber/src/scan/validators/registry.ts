import { githubCrc32, ibanMod97, luhn, npmCrc32 } from './checksums';
import {
  awsKeyId,
  datePlausible,
  e164Phone,
  ipv4Public,
  notAllSameChar,
  notSequential,
  usSsn,
} from './plausibility';
import { base64, hex, jwt, pemBlock } from './structure';
import { notUrlUserinfo } from './url-userinfo';

/**
 * A validator sees the secret value (normalised) and says whether it is plausibly real. Span
 * validators also read the scanned text around it: `start`/`end` are the value's offsets in `text`.
 */
export type Validator = (value: string, text: string, start: number, end: number) => boolean;

/** Validators by the name rule files use. */
export const VALIDATORS: Readonly<Record<string, Validator>> = Object.freeze({
  luhn,
  'iban-mod97': ibanMod97,
  'github-crc32': githubCrc32,
  'npm-crc32': npmCrc32,
  jwt,
  'pem-block': pemBlock,
  'us-ssn': usSsn,
  base64,
  hex,
  'not-all-same-char': notAllSameChar,
  'not-sequential': notSequential,
  'ipv4-public': ipv4Public,
  'e164-phone': e164Phone,
  'date-plausible': datePlausible,
  'aws-key-id': awsKeyId,
  'not-url-userinfo': notUrlUserinfo,
});

export const VALIDATOR_NAMES = Object.keys(VALIDATORS);
