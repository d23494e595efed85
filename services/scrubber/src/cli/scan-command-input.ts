import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ErrorCodes } from '../errors';

/** One input record of `sluice scan`: a text line, or the chosen field of an NDJSON object. */
export type ScanInput =
  | { ok: true; file: string; line: number; id: string | number | null; text: string }
  | { ok: false; file: string; line: number; id: string | number | null; code: string; message: string };

export interface InputOptions {
  /** NDJSON mode: dotted path of the text field (`message.text`). Absent: each line is a text. */
  field?: string | undefined;
  /** NDJSON mode: dotted path of the record id (default `id`). */
  idField: string;
}

/** SLUICE_FIELD_MISSING: the NDJSON record has no string at --field. */
export const FIELD_MISSING = 'SLUICE_FIELD_MISSING';

function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Records of one stream, in order. `file` is `-` for stdin. */
export async function* readRecords(
  stream: Readable,
  file: string,
  opts: InputOptions,
): AsyncGenerator<ScanInput> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const fieldPath = opts.field?.split('.');
  const idPath = opts.idField.split('.');
  let line = 0;
  for await (const raw of rl) {
    line++;
    if (fieldPath === undefined) {
      yield { ok: true, file, line, id: null, text: raw };
      continue;
    }
    if (raw.trim() === '') continue; // NDJSON allows blank lines between records
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      // The parser's message can quote the payload: report position-free.
      yield { ok: false, file, line, id: null, code: ErrorCodes.DECODE_FAILED, message: 'not valid JSON' };
      continue;
    }
    const idv = at(doc, idPath);
    const id = typeof idv === 'string' || typeof idv === 'number' ? idv : null;
    const text = at(doc, fieldPath);
    if (typeof text !== 'string')
      yield {
        ok: false,
        file,
        line,
        id,
        code: FIELD_MISSING,
        message: `no string at field '${opts.field!}'`,
      };
    else yield { ok: true, file, line, id, text };
  }
}

export function openInput(file: string): Readable {
  return file === '-' ? process.stdin : createReadStream(file);
}
