import { join } from 'node:path';
import type { RecordScanRequest } from '../../../src/scan/types';

export const FIXTURE_ENGINE = join(__dirname, 'fixtures', 'fixture-engine.cjs');
export const CLASS_ENGINE = join(__dirname, 'fixtures', 'class-engine.cjs');
export const NO_FACTORY_ENGINE = join(__dirname, 'fixtures', 'no-factory.cjs');
export const KEY = Buffer.alloc(32, 7);

/** `n` records of about `size` characters; record i carries SECRET when i % 5 === 0, and `mark` at the given indices. */
export function makeRecords(
  n: number,
  opts: { size?: number; mark?: number[]; marker?: string } = {},
): RecordScanRequest[] {
  const size = opts.size ?? 300;
  const marked = new Set(opts.mark ?? []);
  const out: RecordScanRequest[] = [];
  for (let i = 0; i < n; i++) {
    let text = `record ${i} ${i % 5 === 0 ? 'SECRET ' : ''}${marked.has(i) ? `${opts.marker ?? 'POISON'} ` : ''}`;
    text += 'x'.repeat(Math.max(0, size - text.length));
    out.push({
      source: 'chat',
      texts: [
        { path: 'value.text', text },
        { path: 'key', text: `conv-${i}` },
      ],
    });
  }
  return out;
}

/** A gate shared with fixture engines: [0] open flag, [1] records started. */
export function makeGate(): { gate: Int32Array; open(): void; started(): number } {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  return {
    gate,
    open: () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    },
    started: () => Atomics.load(gate, 1),
  };
}
