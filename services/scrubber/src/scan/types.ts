/**
 * The contract between the detection engine and the pipeline.
 * Offsets are UTF-16 code unit offsets into the ORIGINAL text (JS string indices),
 * whatever normalisation or decoding the engine applied internally.
 */
export type Action = 'redact' | 'quarantine';

export interface Finding {
  /** Rule id, e.g. `aws-access-key-id`. */
  ruleId: string;
  /** credential | private-key | pii | confidential | ... */
  category: string;
  /** Effective action after per-rule and per-source overrides. */
  action: Action;
  /** Shadow-mode finding: counted and audited, does not change the verdict or the text. */
  shadow: boolean;
  /** Placeholder label, e.g. EMAIL, AWS_KEY: used as `[EMAIL:3fa9c2d1]`. */
  label: string;
  /** UTF-16 start (inclusive) and end (exclusive) in the original text. */
  start: number;
  end: number;
  /** Hex HMAC-SHA-256 of the sensitive value under the fingerprint key (64 hex chars). */
  fingerprint: string;
  /** Masked preview, never more than a few characters of the value, e.g. `AKIA…MPLE`. */
  preview: string;
}

/** One text to scan, e.g. a string field of a record, its key or a header value. */
export interface ScanText {
  /** Field path for reporting: `value.text`, `key`, `headers.x-user`. */
  path: string;
  text: string;
}

export interface RecordScanRequest {
  texts: ScanText[];
  /** Source name (for per-source action overrides), e.g. `chat`. */
  source: string;
  /**
   * A seam request (chat context across two messages): `texts` holds one text, the two parts
   * joined directly, and this is the index where the second part starts. The engine scans that
   * text and the same parts joined by a line break, and the result holds two finding lists:
   * `[line-break join, direct join]`, each in the coordinates of its own joined text.
   */
  seamAt?: number;
}

/**
 * The joins of a seam request, in the order of its result's finding lists: a line break (context
 * in one message, value in the next: "the password is" / "hunter2...") and nothing (a token split
 * in two messages).
 */
export const SEAM_JOINS = ['\n', ''] as const;

export type RecordScanResult =
  | {
      ok: true;
      /** Aligned with request.texts; for a seam request, the two joins (see `seamAt`). */
      findings: Finding[][];
      scanNanos: number;
    }
  | { ok: false; code: string; message: string };

/** A scanner: the worker pool in production, an in-thread engine in unit tests. */
export interface RecordScanner {
  readonly rulesetVersion: string;
  scanBatch(records: RecordScanRequest[]): Promise<RecordScanResult[]>;
  close(): Promise<void>;
}
