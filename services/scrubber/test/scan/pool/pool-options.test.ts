import { ErrorCodes } from '../../../src/errors';
import { resolvePoolOptions, taskBudgetMs } from '../../../src/scan/pool/pool-options';

describe('resolvePoolOptions', () => {
  it('fills defaults and freezes the result', () => {
    const o = resolvePoolOptions({ engineOptions: { fingerprintKey: Buffer.alloc(32) } });
    expect(o.workers).toBeGreaterThanOrEqual(1);
    expect(o).toMatchObject({
      maxQueuedBatches: 4,
      maxChunkRecords: 256,
      transport: 'packed',
      maxOldGenerationSizeMb: 512,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('names the key, the bad value and the expected form, without echoing engine options', () => {
    expect(() => resolvePoolOptions({ engineOptions: {}, transport: 'pigeon' as 'clone' })).toThrow(
      `worker pool option transport = "pigeon" is invalid: expected 'packed', 'clone' or 'transfer'`,
    );
    expect(() => resolvePoolOptions({ engineOptions: {}, maxQueuedBatches: 1.5 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }) as unknown as Error,
    );
    expect(() =>
      resolvePoolOptions({ engineOptions: 'key=hunter2' as unknown as Record<string, unknown> }),
    ).toThrow(
      'worker pool option engineOptions = "key=hunter2" is invalid: expected an object of engine options',
    );
  });
});

describe('taskBudgetMs', () => {
  it('is a base plus a part linear in text size', () => {
    const o = resolvePoolOptions({ engineOptions: {}, taskTimeoutBaseMs: 1000, taskTimeoutPerMiBMs: 4000 });
    expect(taskBudgetMs(o, 0)).toBe(1000);
    expect(taskBudgetMs(o, 1024 * 1024)).toBe(5000);
    expect(taskBudgetMs(o, 512 * 1024)).toBe(3000);
  });
});
