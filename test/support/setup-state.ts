// State shared by global-setup and global-teardown. Jest runs both hooks once per selected
// project in its parent process, so the broker is reference-counted on globalThis: the first
// setup starts it, later ones reuse it, and the last teardown stops it.
import { publishBrokerInfo } from './broker-info';
import type { TestBrokerInfo } from './broker-info';

interface SetupState {
  refs: number;
  info: TestBrokerInfo;
  stop: (() => Promise<void>) | null;
}

const KEY = Symbol.for('sluice.test.broker');
type Holder = { [KEY]?: SetupState };
const holder = globalThis as Holder;

export function note(line: string): void {
  // One plain line on stderr: jest's console adds a stack frame to console.log in hooks.
  process.stderr.write(`\nsluice-test: ${line}\n`);
}

export async function acquireSetup(
  create: () => Promise<{ info: TestBrokerInfo; stop: (() => Promise<void>) | null }>,
): Promise<TestBrokerInfo> {
  const existing = holder[KEY];
  if (existing) {
    existing.refs += 1;
    publishBrokerInfo(existing.info);
    return existing.info;
  }
  const created = await create();
  holder[KEY] = { refs: 1, info: created.info, stop: created.stop };
  return created.info;
}

/** Returns the stop function when the caller held the last reference. */
export function releaseSetup(): { last: boolean; state: SetupState | null } {
  const state = holder[KEY];
  if (!state) return { last: false, state: null };
  state.refs -= 1;
  if (state.refs > 0) return { last: false, state };
  delete holder[KEY];
  return { last: true, state };
}
