import { generateKeyPairSync } from 'node:crypto';
import { SchemaRegistry } from '../../src/codec/schema-registry';
import { BatchProcessor } from '../../src/route/batch-processor';
import { AvroValueCodec } from '../../src/route/avro-value-codec';
import { EnvelopeWriter } from '../../src/quarantine/envelope-writer';
import { ScanEngine } from '../../src/scan/engine';
import type { RecordScanner } from '../../src/scan/types';
import type { ResolvedSource } from '../../src/config/load-config';

/**
 * The real engine in-thread behind the scanner interface, and a BatchProcessor for one source
 * on it: hold-backs are tested against real rules without a worker pool.
 */
export function inThreadProcessor(kind: 'chat' | 'telemetry', key: Buffer) {
  const registry = SchemaRegistry.load();
  const engine = ScanEngine.create({ fingerprintKey: key });
  const scanner: RecordScanner = {
    rulesetVersion: engine.rulesetVersion,
    scanBatch: async (rs) => rs.map((r) => engine.scanRecord(r)),
    close: async () => undefined,
  };
  const source: ResolvedSource = {
    name: kind,
    topic: kind === 'chat' ? 'c' : 't',
    format: 'avro',
    kind,
    outputs: { clean: 'c1', redacted: 'r1', quarantine: 'q1' },
  };
  const processor = new BatchProcessor({
    source,
    codec: new AvroValueCodec(registry, source),
    scanner,
    fingerprintKey: key,
    maxRecordBytes: 100_000,
    rulesetVersion: () => 'x',
    envelopes: new EnvelopeWriter(registry, generateKeyPairSync('x25519').publicKey, 'k', 'test'),
  });
  return { registry, engine, scanner, source, processor };
}
