// Small pieces the chaos scenarios share: progress from committed offsets, a fleet of real
// scrubber processes, and counts from their logs.
import { existsSync, readFileSync } from 'node:fs';
import type { Admin } from 'kafkajs';
import { waitFor, type Cleanup } from '../kafka';
import { committedTotal } from '../progress';
import { ScrubberProcess, type KeyMaterial } from '../scrubber-process';

/** Waits until the group has committed at least `target` input records; returns the count. */
export async function waitCommitted(
  admin: Admin,
  groupId: string,
  topics: string[],
  target: number,
  deadlineMs = 240_000,
): Promise<number> {
  let last = 0;
  return waitFor(
    async () => {
      last = await committedTotal(admin, groupId, topics);
      return last >= target ? last : 0;
    },
    {
      what: `${target} records committed by ${groupId}`,
      deadlineMs,
      intervalMs: 50,
      describe: () => `committed ${last}`,
    },
  );
}

/** Every scrubber process a test started, killed at cleanup, with their logs for counting. */
export class ScrubberFleet {
  readonly all: ScrubberProcess[] = [];

  constructor(
    private readonly cleanup: Cleanup,
    private readonly config: Record<string, unknown>,
    private readonly keys: KeyMaterial,
  ) {}

  async start(env: Record<string, string> = {}): Promise<ScrubberProcess> {
    const p = new ScrubberProcess({ config: this.config, keys: this.keys, env });
    this.cleanup.defer('kill scrubber', () => p.kill());
    this.all.push(p);
    await p.start(120_000);
    return p;
  }

  /** Log lines (JSON, pino) whose msg matches, over every process. */
  count(msg: RegExp): number {
    let n = 0;
    for (const p of this.all) {
      if (!existsSync(p.logFile)) continue;
      for (const line of readFileSync(p.logFile, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string };
          if (entry.msg && msg.test(entry.msg)) n++;
        } catch {
          // a line cut by SIGKILL
        }
      }
    }
    return n;
  }

  /** Partitions named by a process's latest 'partitions assigned' log line. */
  static assigned(p: ScrubberProcess): string[] {
    if (!existsSync(p.logFile)) return [];
    let last: string[] = [];
    for (const line of readFileSync(p.logFile, 'utf8').split('\n')) {
      if (!line.includes('partitions assigned')) continue;
      try {
        last = (JSON.parse(line) as { partitions?: string[] }).partitions ?? [];
      } catch {
        // a line cut by SIGKILL
      }
    }
    return last;
  }
}
