/**
 * Errors carry a stable code callers can branch on, whether retrying can help,
 * and what the operator should do. A quarantine reason is one of these codes.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'SLUICE_CONFIG_INVALID',
  DECODE_FAILED: 'SLUICE_DECODE_FAILED',
  UNKNOWN_SCHEMA: 'SLUICE_UNKNOWN_SCHEMA',
  INVALID_UTF8: 'SLUICE_INVALID_UTF8',
  ENCODE_FAILED: 'SLUICE_ENCODE_FAILED',
  COMPRESSION_FAILED: 'SLUICE_COMPRESSION_FAILED',
  UNREDACTABLE_FIELD: 'SLUICE_UNREDACTABLE_FIELD',
  TOO_LARGE: 'SLUICE_TOO_LARGE',
  SCAN_FAILED: 'SLUICE_SCAN_FAILED',
  SCAN_TIMEOUT: 'SLUICE_SCAN_TIMEOUT',
  WORKER_CRASHED: 'SLUICE_WORKER_CRASHED',
  FINDING_QUARANTINE: 'SLUICE_FINDING_QUARANTINE',
  PASSWORD_FIELD: 'SLUICE_PASSWORD_FIELD',
  RULES_INVALID: 'SLUICE_RULES_INVALID',
  TOPIC_MISMATCH: 'SLUICE_TOPIC_MISMATCH',
  KAFKA: 'SLUICE_KAFKA_ERROR',
  FENCED: 'SLUICE_PRODUCER_FENCED',
  SHUTTING_DOWN: 'SLUICE_SHUTTING_DOWN',
  DECRYPT_FAILED: 'SLUICE_DECRYPT_FAILED',
  ENGINE_START_FAILED: 'SLUICE_ENGINE_START_FAILED',
  BUILD_MISSING: 'SLUICE_BUILD_MISSING',
  PRIVATE_KEY_MISSING: 'SLUICE_PRIVATE_KEY_MISSING',
  PAYLOAD_SHREDDED: 'SLUICE_PAYLOAD_SHREDDED',
  RECORD_NOT_FOUND: 'SLUICE_RECORD_NOT_FOUND',
  ALREADY_RELEASED: 'SLUICE_ALREADY_RELEASED',
  RELEASE_REFUSED: 'SLUICE_RELEASE_REFUSED',
  /** Audit reason of a record security released from quarantine as a false positive. */
  RELEASED: 'SLUICE_RELEASED',
  ACL_APPLY_FAILED: 'SLUICE_ACL_APPLY_FAILED',
  FILE_EXISTS: 'SLUICE_FILE_EXISTS',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** What the operator or caller should do about it. */
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retriable?: boolean; hint?: string; cause?: unknown } = {},
  ) {
    super(
      opts.hint ? `${message} (${opts.hint})` : message,
      opts.cause !== undefined ? { cause: opts.cause } : undefined,
    );
    this.name = 'SluiceError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.hint = opts.hint;
  }
}

/** Classify any thrown value without throwing; never includes payload data. */
export function describeError(err: unknown): { code: string; message: string; retriable: boolean } {
  if (err instanceof SluiceError) return { code: err.code, message: err.message, retriable: err.retriable };
  if (err instanceof Error) {
    const retriable = (err as Error & { retriable?: unknown }).retriable === true;
    return { code: err.name || 'Error', message: err.message, retriable };
  }
  return { code: 'UNKNOWN', message: String(err), retriable: false };
}
