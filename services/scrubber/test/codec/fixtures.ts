/** Hand-written record values shared by the codec tests. */
export function telemetry(key: string): unknown {
  return {
    eventId: 'e-1',
    device: 'd-1',
    session: 's-1',
    seq: 1,
    timestampMs: 1_700_000_000_000,
    app: 'com.example.editor',
    window: null,
    field: { id: 'f-1', kind: 'PASSWORD', sensitive: true },
    body: { 'io.sluice.KeyEvent': { key, code: null, modifiers: ['SHIFT'], repeat: false } },
  };
}
