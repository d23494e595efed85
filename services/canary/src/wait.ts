/** Polls until `condition` holds or the deadline passes (then throws naming what was awaited). */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  opts: { what: string; deadlineMs: number; intervalMs: number; signal?: { stopped: boolean } },
): Promise<void> {
  const deadline = Date.now() + opts.deadlineMs;
  let last: unknown = null;
  for (;;) {
    if (opts.signal?.stopped) throw new Error(`stopped while waiting for ${opts.what}`);
    try {
      if (await condition()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${opts.what} did not happen within ${opts.deadlineMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
