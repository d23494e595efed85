import { crc32 } from 'node:zlib';
import type { Prng } from './prng';
import { ALNUM, ALPHA, B64, B64URL, DIGITS, HEX, UPPER_ALNUM } from './prng';

/**
 * Generators of synthetic sensitive values, one per rule family, each embedded in a short
 * phrase that gives it the context a real paste would have. Every value is random with the
 * vendor's published shape (and a correct checksum where a validator checks one); none is real.
 */
export interface Planted {
  /** Text around the value; `{}` marks where the value goes. */
  phrase: string;
  value: string;
  category: 'credential' | 'private-key' | 'pii' | 'confidential' | 'network';
  /** Expected rule id. */
  ruleFamily: string;
}

export type Family = (r: Prng) => Planted;

function uuid(r: Prng): string {
  const h = r.chars(HEX, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Luhn check digit for a digit string. */
export function luhnComplete(body: string): string {
  for (let c = 0; c < 10; c++) {
    const d = body + c;
    let sum = 0;
    for (let i = 0; i < d.length; i++) {
      let x = d.charCodeAt(d.length - 1 - i) - 48;
      if (i % 2 === 1) {
        x *= 2;
        if (x > 9) x -= 9;
      }
      sum += x;
    }
    if (sum % 10 === 0) return d;
  }
  return body + '0';
}

/** ISO 13616 check digits for a country code and BBAN. */
export function ibanFor(cc: string, bban: string): string {
  const rearranged = bban + cc + '00';
  let m = 0;
  for (const ch of rearranged) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const c of v) m = (m * 10 + (c.charCodeAt(0) - 48)) % 97;
  }
  return cc + String(98 - m).padStart(2, '0') + bban;
}

/** Brazilian CPF with both mod-11 check digits (https://www.macoratti.net/alg_cpf.htm). */
function cpf(r: Prng): string {
  const d = Array.from({ length: 9 }, () => r.int(0, 9));
  if (d.every((x) => x === d[0])) d[0] = (d[0]! + 1) % 10;
  for (const len of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += d[i]! * (len + 1 - i);
    const rest = (sum * 10) % 11;
    d.push(rest === 10 ? 0 : rest);
  }
  const s = d.join('');
  return `${s.slice(0, 3)}.${s.slice(3, 6)}.${s.slice(6, 9)}-${s.slice(9)}`;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UPPER_HEX = '0123456789ABCDEF';

/**
 * GitHub / npm checksummed token: `<prefix>_` + 30 random base62 chars + their CRC32 (IEEE) as 6
 * base62 digits, zero-padded (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).
 * Written here independently of the scanner's validator, so the corpus checks it rather than echoes it.
 */
function crcToken(r: Prng, prefix: string): string {
  const body = r.chars(ALNUM, 30);
  let n = crc32(Buffer.from(body, 'latin1')) >>> 0;
  let sum = '';
  for (let i = 0; i < 6; i++) {
    sum = BASE62[n % 62]! + sum;
    n = Math.floor(n / 62);
  }
  return `${prefix}_${body}${sum}`;
}

/** A compact JWS (RFC 7515): real base64url JSON header and claims, random signature. */
function jws(r: Prng): string {
  const rsa = r.chance(0.5);
  const header = rsa ? { alg: 'RS256', typ: 'JWT', kid: r.chars(HEX, 16) } : { alg: 'HS256', typ: 'JWT' };
  const iat = 1700000000 + r.int(0, 3e7);
  const claims = {
    sub: `u-${r.chars(DIGITS, 6)}`,
    iss: r.pick(['https://auth.acme.io', 'acme-api', 'https://login.acme-corp.de/']),
    iat,
    exp: iat + r.pick([900, 3600, 86400]),
  };
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(claims)}.${r.chars(B64URL, rsa ? 342 : 43)}`;
}

/** A global-unicast IPv6 address (2000::/3, outside the documentation range), full or compressed. */
function ipv6(r: Prng): string {
  const head = r.pick(['2a02', '2a01', '2a00', '2606', '2607', '2620', '2a03', '2400', '2c0f']);
  const group = (): string => r.int(1, 0xffff).toString(16);
  if (r.chance(0.4)) return [head, ...Array.from({ length: 7 }, group)].join(':');
  const left = [head, ...Array.from({ length: r.int(1, 3) }, group)];
  const right = Array.from({ length: r.int(1, 2) }, group);
  return `${left.join(':')}::${right.join(':')}`;
}

/** Escaped PEM body as it appears inside a JSON string ("...\\n..."). */
function escapedPem(r: Prng): string {
  const lines = [
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ' + r.chars(B64, 14),
    ...Array.from({ length: r.int(3, 6) }, () => r.chars(B64, 64)),
  ];
  return `-----BEGIN PRIVATE KEY-----\\n${lines.join('\\n')}\\n-----END PRIVATE KEY-----\\n`;
}

/** A Google Cloud service-account key file (the shape `gcloud iam service-accounts keys create` writes). */
function gcpServiceAccountJson(r: Prng): string {
  const project = `${r.pick(['acme', 'ledger', 'orbit'])}-${r.pick(['prod', 'staging', 'data'])}-${r.chars(DIGITS, 6)}`;
  const fields: [string, string][] = [
    ['type', 'service_account'],
    ['project_id', project],
    ['private_key_id', r.chars(HEX, 40)],
    ['private_key', escapedPem(r)],
    ['auth_uri', 'https://accounts.google.com/o/oauth2/auth'],
    ['token_uri', 'https://oauth2.googleapis.com/token'],
  ];
  const pretty = r.chance(0.5);
  const body = fields.map(([k, v]) => `${pretty ? '  ' : ''}"${k}": "${v}"`).join(pretty ? ',\n' : ', ');
  return pretty ? `{\n${body}\n}` : `{${body}}`;
}

const cred = (ruleFamily: string, phrase: string, value: string): Planted => ({
  phrase,
  value,
  category: 'credential',
  ruleFamily,
});
const pii = (ruleFamily: string, phrase: string, value: string): Planted => ({
  phrase,
  value,
  category: 'pii',
  ruleFamily,
});

export const FAMILIES: Record<string, Family> = {
  'aws-access-key-id': (r) =>
    cred(
      'aws-access-key-id',
      r.pick(['export AWS_ACCESS_KEY_ID={}', 'my key is {} can you check', 'aws_access_key_id = {}']),
      'AKIA' + r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16),
    ),
  'gcp-api-key': (r) =>
    cred(
      'gcp-api-key',
      r.pick(['GOOGLE_API_KEY={}', 'https://maps.googleapis.com/maps/api/js?key={}&v=3']),
      'AIza' + r.chars(B64URL, 35),
    ),
  'google-oauth-client-secret': (r) =>
    cred('google-oauth-client-secret', '"client_secret": "{}"', 'GOCSPX-' + r.chars(ALNUM, 28)),
  'azure-storage-account-key': (r) =>
    cred(
      'azure-storage-account-key',
      'DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey={};EndpointSuffix=core.windows.net',
      r.chars(B64, 86) + '==',
    ),
  'digitalocean-personal-access-token': (r) =>
    cred('digitalocean-personal-access-token', 'DIGITALOCEAN_TOKEN={}', 'dop_v1_' + r.chars(HEX, 64)),
  'gitlab-personal-access-token': (r) =>
    cred(
      'gitlab-personal-access-token',
      r.pick(['PRIVATE-TOKEN: {}', 'use {} for the api']),
      'glpat-' + r.chars(ALNUM, 20),
    ),
  'huggingface-access-token': (r) =>
    cred(
      'huggingface-access-token',
      r.pick(['HF_TOKEN={}', 'huggingface-cli login --token {}']),
      'hf_' + r.chars(ALPHA, 34),
    ),
  'slack-webhook-url': (r) =>
    cred(
      'slack-webhook-url',
      'posting to {} now',
      `https://hooks.slack.com/services/T${r.chars(UPPER_ALNUM, 8)}/B${r.chars(UPPER_ALNUM, 10)}/${r.chars(ALNUM, 24)}`,
    ),
  'slack-user-token': (r) =>
    cred(
      'slack-user-token',
      'SLACK_TOKEN={}',
      `xoxp-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${r.chars(HEX, 32)}`,
    ),
  'stripe-secret-key': (r) =>
    cred(
      'stripe-secret-key',
      r.pick(['stripe.api_key = "{}"', 'STRIPE_SECRET_KEY={}']),
      'sk_live_' + r.chars(ALNUM, r.int(24, 99)),
    ),
  'stripe-webhook-secret': (r) =>
    cred('stripe-webhook-secret', 'STRIPE_WEBHOOK_SECRET={}', 'whsec_' + r.chars(ALNUM, 32)),
  'shopify-access-token': (r) =>
    cred('shopify-access-token', 'X-Shopify-Access-Token: {}', 'shpat_' + r.chars(HEX, 32)),
  'sendgrid-api-key': (r) =>
    cred('sendgrid-api-key', 'SENDGRID_API_KEY={}', `SG.${r.chars(B64URL, 22)}.${r.chars(B64URL, 43)}`),
  'telegram-bot-token': (r) =>
    cred(
      'telegram-bot-token',
      'https://api.telegram.org/bot{}/getUpdates',
      `${r.int(1, 9)}${r.chars(DIGITS, 9)}:AA${r.chars(B64URL, 33)}`,
    ),
  'discord-webhook-url': (r) =>
    cred(
      'discord-webhook-url',
      'webhook: {}',
      `https://discord.com/api/webhooks/1${r.chars(DIGITS, 18)}/${r.chars(B64URL, 68)}`,
    ),
  'groq-api-key': (r) => cred('groq-api-key', 'GROQ_API_KEY={}', 'gsk_' + r.chars(ALNUM, 52)),
  'replicate-api-token': (r) =>
    cred('replicate-api-token', 'REPLICATE_API_TOKEN={}', 'r8_' + r.chars(ALNUM, 37)),
  'perplexity-api-key': (r) =>
    cred('perplexity-api-key', 'Authorization: Bearer {}', 'pplx-' + r.chars(ALNUM, 48)),
  'xai-api-key': (r) => cred('xai-api-key', 'XAI_API_KEY={}', 'xai-' + r.chars(ALNUM, 80)),
  'openrouter-api-key': (r) => cred('openrouter-api-key', 'key {}', 'sk-or-v1-' + r.chars(HEX, 64)),
  'dockerhub-access-token': (r) =>
    cred(
      'dockerhub-access-token',
      'echo {} | docker login -u acme --password-stdin',
      'dckr_pat_' + r.chars(B64URL, 27).replace(/-$/, 'x'),
    ),
  'pypi-upload-token': (r) =>
    cred('pypi-upload-token', 'password = {}', 'pypi-AgEIcHlwaS5vcmc' + r.chars(ALNUM, 120)),
  'new-relic-user-api-key': (r) =>
    cred('new-relic-user-api-key', 'NEW_RELIC_API_KEY={}', 'NRAK-' + r.chars(UPPER_ALNUM, 27)),
  'grafana-service-account-token': (r) =>
    cred(
      'grafana-service-account-token',
      'Authorization: Bearer {}',
      `glsa_${r.chars(ALNUM, 32)}_${r.chars(HEX, 8)}`,
    ),
  'vault-service-token': (r) =>
    cred('vault-service-token', 'VAULT_TOKEN={}', 'hvs.CAESI' + r.chars(ALNUM, 90)),
  'doppler-token': (r) => cred('doppler-token', 'DOPPLER_TOKEN={}', 'dp.st.prd.' + r.chars(ALNUM, 43)),
  'postman-api-key': (r) =>
    cred('postman-api-key', 'X-Api-Key: {}', `PMAK-${r.chars(HEX, 24)}-${r.chars(HEX, 34)}`),
  'linear-api-key': (r) => cred('linear-api-key', 'LINEAR_API_KEY={}', 'lin_api_' + r.chars(ALNUM, 40)),
  'databricks-token': (r) => cred('databricks-token', 'DATABRICKS_TOKEN={}', 'dapi' + r.chars(HEX, 32)),
  'postgres-uri-password': (r) =>
    cred(
      'postgres-uri-password',
      `DATABASE_URL=postgres://app:{}@db-${r.int(1, 9)}.acme.io:5432/orders`,
      r.chars(ALNUM, 20),
    ),
  'mongodb-uri-password': (r) =>
    cred(
      'mongodb-uri-password',
      'mongodb+srv://reader:{}@cluster0.ab1cd.mongodb.net/prod',
      r.chars(ALNUM, 24),
    ),
  'url-basic-auth-credentials': (r) =>
    cred(
      'url-basic-auth-credentials',
      'git remote set-url origin https://deploy:{}@git.acme.io/acme/app.git',
      r.chars(ALNUM, 24),
    ),
  'authorization-bearer-token': (r) =>
    cred(
      'authorization-bearer-token',
      'curl -H "Authorization: Bearer {}" https://api.acme.io/v1/me',
      r.chars(B64URL, 40).replace(/^[-_]/, 'a'),
    ),
  'generic-password-assignment': (r) =>
    cred(
      'generic-password-assignment',
      r.pick(['db password: {}', 'my password is {}', 'password={}']),
      r.chars(ALNUM, 6) + r.pick(['#', '!', '&', '%']) + r.chars(ALNUM, 6),
    ),
  'generic-secret-assignment': (r) => cred('generic-secret-assignment', 'JWT_SECRET={}', r.chars(ALNUM, 40)),
  jwt: (r) =>
    cred(
      'jwt',
      r.pick([
        '"id_token": "{}"',
        'document.cookie = "session={}; Path=/"',
        'token: {}',
        'decode this jwt {} pls',
      ]),
      jws(r),
    ),
  'private-key-pem': (r) => ({
    phrase: 'key:\n{}',
    value: `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA${r.chars(B64, 48)}\n${r.chars(B64, 64)}\n${r.chars(B64, 64)}\n-----END RSA PRIVATE KEY-----`,
    category: 'private-key',
    ruleFamily: 'private-key-pem',
  }),
  'openssh-private-key-body': (r) => ({
    phrase: 'SSH_KEY={}',
    value: 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW' + r.chars(B64, 200),
    category: 'private-key',
    ruleFamily: 'openssh-private-key-body',
  }),
  'github-pat-classic': (r) =>
    cred(
      'github-pat-classic',
      r.pick([
        'GITHUB_TOKEN={}',
        'git clone https://{}@github.com/acme/app.git',
        'echo {} | gh auth login --with-token',
        'Authorization: token {}',
      ]),
      crcToken(r, r.pick(['ghp', 'ghp', 'gho', 'ghu', 'ghs', 'ghr'])),
    ),
  'github-fine-grained-pat': (r) =>
    cred(
      'github-fine-grained-pat',
      r.pick(['GH_TOKEN={}', 'my fine-grained token is {}']),
      `github_pat_11${r.chars(UPPER_ALNUM, 20)}_${r.chars(ALNUM, 59)}`,
    ),
  'github-app-client-secret': (r) =>
    cred(
      'github-app-client-secret',
      r.pick(['GITHUB_CLIENT_SECRET={}', 'github_oauth_client_secret: "{}"']),
      r.chars(HEX, 40),
    ),
  'openai-api-key': (r) =>
    cred(
      'openai-api-key',
      r.pick(['OPENAI_API_KEY={}', 'client = OpenAI(api_key="{}")', 'here is my openai key {} why 401']),
      r.pick([
        () => `sk-proj-${r.chars(B64URL, 74)}T3BlbkFJ${r.chars(B64URL, 74)}`,
        () => `sk-svcacct-${r.chars(B64URL, 74)}T3BlbkFJ${r.chars(B64URL, 74)}`,
        () => `sk-admin-${r.chars(B64URL, 74)}T3BlbkFJ${r.chars(B64URL, 74)}`,
        () => `sk-${r.chars(ALNUM, 20)}T3BlbkFJ${r.chars(ALNUM, 20)}`,
      ])(),
    ),
  'anthropic-api-key': (r) =>
    cred(
      'anthropic-api-key',
      r.pick([
        'ANTHROPIC_API_KEY={}',
        'client = Anthropic(api_key="{}")',
        'my claude key {} stopped working',
      ]),
      `sk-ant-${r.pick(['api03', 'admin01'])}-${r.chars(B64URL, 93)}AA`,
    ),
  'anthropic-oauth-token': (r) =>
    cred(
      'anthropic-oauth-token',
      'CLAUDE_CODE_OAUTH_TOKEN={}',
      `sk-ant-${r.pick(['oat01', 'ort01'])}-${r.chars(B64URL, 93)}AA`,
    ),
  'aws-secret-access-key': (r) =>
    cred(
      'aws-secret-access-key',
      r.pick([
        'aws_secret_access_key = {}',
        'export AWS_SECRET_ACCESS_KEY={}',
        '"SecretAccessKey": "{}",',
        'aws_secret_key: "{}"',
      ]),
      r.chars(ALNUM + '/+', 40),
    ),
  'aws-session-token': (r) =>
    cred(
      'aws-session-token',
      r.pick(['aws_session_token = {}', 'export AWS_SESSION_TOKEN="{}"', 'X-Amz-Security-Token: {}']),
      'IQoJb3JpZ2luX2Vj' + r.chars(B64, r.int(300, 700)),
    ),
  'gcp-service-account-json': (r) =>
    cred(
      'gcp-service-account-json',
      r.pick(['here is the key file:\n{}', 'GOOGLE_CREDENTIALS={}', 'cat sa.json\n{}']),
      gcpServiceAccountJson(r),
    ),
  'azure-ad-client-secret': (r) =>
    cred(
      'azure-ad-client-secret',
      r.pick(['AZURE_CLIENT_SECRET={}', 'the app registration secret is "{}"']),
      `${r.chars(ALNUM, 3)}${r.int(0, 9)}Q~${r.chars(ALNUM + '_~.-', 33)}${r.chars(ALNUM, 1)}`,
    ),
  'azure-devops-pat': (r) =>
    cred(
      'azure-devops-pat',
      r.pick(['AZURE_DEVOPS_EXT_PAT={}', 'git -c http.extraheader="AUTHORIZATION: basic" pat {}']),
      `${r.chars(ALNUM, 52)}AZDO${r.chars(ALNUM, 28)}`,
    ),
  'npm-access-token': (r) =>
    cred(
      'npm-access-token',
      r.pick(['//registry.npmjs.org/:_authToken={}', 'NPM_TOKEN={}', 'npm token create gave me {}']),
      crcToken(r, 'npm'),
    ),
  'slack-bot-token': (r) =>
    cred(
      'slack-bot-token',
      r.pick(['SLACK_BOT_TOKEN={}', 'client = WebClient(token="{}")']),
      `xoxb-${r.chars(DIGITS, r.int(11, 13))}-${r.chars(DIGITS, 13)}-${r.chars(ALNUM, 24)}`,
    ),
  'slack-app-token': (r) =>
    cred(
      'slack-app-token',
      'SLACK_APP_TOKEN={}',
      `xapp-1-A${r.chars(UPPER_ALNUM, 10)}-${r.chars(DIGITS, 13)}-${r.chars(HEX, 64)}`,
    ),
  'twilio-api-key': (r) =>
    cred('twilio-api-key', r.pick(['TWILIO_API_KEY={}', 'api key sid {}']), 'SK' + r.chars(HEX, 32)),
  'twilio-auth-token': (r) =>
    cred('twilio-auth-token', r.pick(['TWILIO_AUTH_TOKEN={}', 'twilio_api_secret: "{}"']), r.chars(HEX, 32)),
  'bitbucket-app-password': (r) =>
    cred(
      'bitbucket-app-password',
      r.pick(['BITBUCKET_APP_PASSWORD={}', 'git clone https://acme-ci:{}@bitbucket.org/acme/app.git']),
      `ATBB${r.chars(ALNUM, 24)}${r.chars(UPPER_HEX, 8)}`,
    ),
  'bitbucket-access-token': (r) =>
    cred(
      'bitbucket-access-token',
      r.pick(['BITBUCKET_ACCESS_TOKEN={}', 'repo access token: {}']),
      `ATCTT3xFfGN0${r.chars(B64URL, 171)}=${r.chars(UPPER_HEX, 8)}`,
    ),
  'atlassian-api-token': (r) =>
    cred(
      'atlassian-api-token',
      r.pick(['JIRA_API_TOKEN={}', 'confluence token {}']),
      `ATATT3xFfGF0${r.chars(B64URL, 171)}=${r.chars(UPPER_HEX, 8)}`,
    ),
  'stripe-restricted-key': (r) =>
    cred(
      'stripe-restricted-key',
      r.pick(['STRIPE_RESTRICTED_KEY={}', 'stripe.api_key = "{}"']),
      'rk_live_51' + r.chars(ALNUM, r.int(40, 97)),
    ),
  email: (r) =>
    pii(
      'email',
      r.pick(['contact me at {}', 'send it to {} please', 'From: {}']),
      `${r.pick(['jane.doe', 'm.keller', 'ops-team', 'pat92', 'li.wei'])}${r.int(1, 999)}@${r.pick(['gmail.com', 'acme-mail.de', 'outlook.com', 'proton.me'])}`,
    ),
  'credit-card': (r) =>
    pii(
      'credit-card',
      r.pick(['card number {} exp 09/27', 'charge {} please']),
      luhnComplete('4' + r.chars(DIGITS, 14)),
    ),
  iban: (r) => pii('iban', r.pick(['IBAN: {}', 'wire to {}']), ibanFor('DE', r.chars(DIGITS, 18))),
  'us-ssn': (r) =>
    pii(
      'us-ssn',
      'SSN: {}',
      `${r.int(100, 665)}-${String(r.int(1, 99)).padStart(2, '0')}-${String(r.int(1, 9999)).padStart(4, '0')}`,
    ),
  'phone-e164': (r) =>
    pii(
      'phone-e164',
      r.pick(['call me on {}', 'whatsapp {}']),
      `+44 7${r.chars(DIGITS, 3)} ${r.chars(DIGITS, 6)}`,
    ),
  'phone-us': (r) =>
    pii(
      'phone-us',
      'call me at {} tomorrow',
      `(${r.int(201, 989)}) ${r.int(201, 989)}-${r.chars(DIGITS, 4)}`,
    ),
  'phone-uk': (r) =>
    pii(
      'phone-uk',
      r.pick(['ring me on {} after 5', 'mobile: {}']),
      `07${r.int(400, 999)} ${r.chars(DIGITS, 6)}`,
    ),
  'phone-de': (r) =>
    pii('phone-de', r.pick(['Handy: {}', 'Telefon {} (Büro)']), `0151 ${r.chars(DIGITS, 8)}`),
  'canada-sin': (r) => pii('canada-sin', 'SIN: {}', luhnComplete(String(r.int(1, 7)) + r.chars(DIGITS, 7))),
  'imei-number': (r) => pii('imei-number', 'device IMEI: {}', luhnComplete('35' + r.chars(DIGITS, 12))),
  'brazil-cpf': (r) => pii('brazil-cpf', 'CPF {}', cpf(r)),
  'swift-bic': (r) =>
    pii(
      'swift-bic',
      'SWIFT: {}',
      r.chars('BCDFGHKLMNPRSTVWXZ', 4) +
        r.pick(['DE', 'FR', 'GB', 'NL']) +
        r.chars('ABCDEFGHJKLMNPQRSTUVWXYZ', 2),
    ),
  'date-of-birth': (r) =>
    pii(
      'date-of-birth',
      'DOB: {}',
      `${String(r.int(1, 28)).padStart(2, '0')}/${String(r.int(1, 12)).padStart(2, '0')}/${r.int(1950, 2005)}`,
    ),
  'uk-national-insurance-number': (r) =>
    pii(
      'uk-national-insurance-number',
      'NI number: {}',
      `${r.pick(['JG', 'AB', 'CE', 'PR', 'TW'])}${r.chars(DIGITS, 6)}${r.pick(['A', 'B', 'C', 'D'])}`,
    ),
  'us-street-address': (r) =>
    pii(
      'us-street-address',
      'my address is {}',
      `${r.int(1, 9999)} ${r.pick(['Maple', 'Oak', 'Cedar Grove', 'Lincoln'])} ${r.pick(['Street', 'Avenue', 'Road', 'Drive'])}`,
    ),
  'passport-number': (r) => pii('passport-number', 'passport no: {}', r.chars(DIGITS, 9)),
  'ipv4-address': (r) => ({
    phrase: r.pick(['client {} connected', 'blocked ip {}']),
    value: `${r.pick([34, 52, 81, 91, 104, 185])}.${r.int(1, 254)}.${r.int(1, 254)}.${r.int(1, 254)}`,
    category: 'network',
    ruleFamily: 'ipv4-address',
  }),
  'ipv6-address': (r) => ({
    phrase: r.pick([
      'client {} connected',
      'from {} port 443',
      'AAAA record -> {}',
      'curl http://[{}]:8080/',
    ]),
    value: ipv6(r),
    category: 'network',
    ruleFamily: 'ipv6-address',
  }),
  'mac-address': (r) => ({
    phrase: 'wlan0 ether {}',
    // A device's own address: unicast and globally administered (first octet's two low bits 0),
    // so never a multicast group address such as IPv6's 33:33:xx, which the rule rightly skips.
    value: Array.from({ length: 6 }, () => r.chars(HEX, 2))
      .join(':')
      .replace(/^(.)(.)/, (_m, _a: string, b: string) => '3' + '048c'[parseInt(b, 16) % 4]!),
    category: 'network',
    ruleFamily: 'mac-address',
  }),
  'internal-hostname': (r) => ({
    phrase: 'connect to {}:5432',
    value: `${r.pick(['billing-db', 'ledger', 'auth'])}-${r.int(1, 20)}.${r.pick(['prod', 'stg'])}.acme.${r.pick(['corp', 'internal'])}`,
    category: 'confidential',
    ruleFamily: 'internal-hostname',
  }),
  'confidential-banner': () => ({
    phrase: '[{}] Draft reorg plan',
    value: 'CONFIDENTIAL',
    category: 'confidential',
    ruleFamily: 'confidential-banner',
  }),
  'internal-use-only-marker': () => ({
    phrase: '{}: pricing tiers for next year',
    value: 'INTERNAL ONLY',
    category: 'confidential',
    ruleFamily: 'internal-use-only-marker',
  }),
  'do-not-distribute-marker': () => ({
    phrase: 'Q3 forecast - {}',
    value: 'DO NOT DISTRIBUTE',
    category: 'confidential',
    ruleFamily: 'do-not-distribute-marker',
  }),
};

/** Puts the value into its phrase; returns the text and the value's span in it. */
export function plant(p: Planted): { text: string; start: number; end: number } {
  const at = p.phrase.indexOf('{}');
  const text = p.phrase.slice(0, at) + p.value + p.phrase.slice(at + 2);
  return { text, start: at, end: at + p.value.length };
}

export { uuid };
