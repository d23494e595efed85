import type { Pending } from '../route/batch-processor';
import type { Modifier } from './keystroke-rebuilder';

/** What the keystroke rebuilder needs to know about one decoded telemetry record. */
export type TelemetryAction =
  | { kind: 'key'; key: string; modifiers: Modifier[]; leaf: number }
  | { kind: 'insert'; text: string; leaf: number } // clipboard paste, pointer autofill
  | { kind: 'focus' } // focus / blur / app switch: ends every run of the device+session
  | { kind: 'other' };

export interface TelemetryInfo {
  /** device + session: focus changes end every run under it. */
  deviceSession: string;
  /** device + session + field (or window, or app): one run of typing. */
  fieldKey: string;
  action: TelemetryAction;
}

interface TelemetryValue {
  device?: string;
  session?: string;
  app?: string | null;
  window?: string | null;
  field?: { id?: string | null } | null;
  body?: Record<string, Record<string, unknown>>;
}

/** Reads the rebuilder's view of a decoded telemetry record; null when the value is not one. */
export function telemetryInfo(p: Pending): TelemetryInfo | null {
  const v = p.decoded?.value as TelemetryValue | undefined;
  if (!v || typeof v !== 'object' || typeof v.device !== 'string' || typeof v.session !== 'string' || !v.body)
    return null;
  const deviceSession = `${v.device}\u0000${v.session}`;
  const fieldKey = `${deviceSession}\u0000${v.field?.id ?? v.window ?? v.app ?? ''}`;
  const [branch, body] = Object.entries(v.body)[0] ?? [];
  const leafOf = (path: string) => p.texts.findIndex((t) => t.path === path);
  let action: TelemetryAction = { kind: 'other' };
  if (branch === 'io.sluice.KeyEvent' && body && typeof body.key === 'string') {
    action = {
      kind: 'key',
      key: body.key,
      modifiers: (body.modifiers as Modifier[] | undefined) ?? [],
      leaf: leafOf('value.body.KeyEvent.key'),
    };
  } else if (
    branch === 'io.sluice.ClipboardEvent' &&
    body &&
    body.op === 'PASTE' &&
    typeof body.text === 'string'
  ) {
    action = { kind: 'insert', text: body.text, leaf: leafOf('value.body.ClipboardEvent.text') };
  } else if (
    branch === 'io.sluice.PointerEvent' &&
    body &&
    typeof body.text === 'string' &&
    body.text.length > 0
  ) {
    action = { kind: 'insert', text: body.text, leaf: leafOf('value.body.PointerEvent.text') };
  } else if (branch === 'io.sluice.FocusEvent') {
    action = { kind: 'focus' };
  }
  return { deviceSession, fieldKey, action };
}
