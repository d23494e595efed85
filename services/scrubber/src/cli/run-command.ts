import { loadConfig } from '../config/load-config';
import { createLogger } from '../log/logger';
import { Scrubber } from '../scrubber';
import { describeError } from '../errors';

/**
 * `sluice run`: the scrubber service. SIGTERM/SIGINT drain in-flight batches (their transactions
 * commit), leave the group and exit 0; a second signal, or a drain past the deadline, exits 1.
 * SIGHUP reloads the rules (scan.* of the config file, and the rule files it names).
 */
export async function runScrubber(opts: { config?: string | undefined }): Promise<void> {
  const config = loadConfig({ file: opts.config });
  const logger = createLogger(config.log.level, { instance: config.instanceId });
  const scrubber = new Scrubber({ config, logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'draining in-flight batches');
    const timer = setTimeout(() => {
      logger.error({ drainTimeoutMs: config.shutdown.drainTimeoutMs }, 'drain deadline passed; exiting');
      process.exit(1);
    }, config.shutdown.drainTimeoutMs);
    timer.unref();
    scrubber
      .stop()
      .then(() => {
        logger.info('stopped cleanly');
        logger.flush?.();
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err: describeError(err).message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // SIGHUP: re-read the config file and reload the rules (rule files, overrides) in place.
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      try {
        await scrubber.reloadRules(loadConfig({ file: opts.config }));
      } catch (err) {
        const e = describeError(err);
        logger.error(
          { code: e.code, err: e.message },
          'rule reload failed; still scanning with the previous rules',
        );
      }
    });
  });
  try {
    await scrubber.start();
  } catch (err) {
    const e = describeError(err);
    logger.fatal({ code: e.code, err: e.message }, 'scrubber failed to start');
    await scrubber.stop().catch(() => undefined);
    process.exit(1);
  }
  scrubber.onFatal((err) => {
    logger.fatal({ err: err.message }, 'consumer stopped for good; exiting so the orchestrator restarts us');
    void scrubber.stop().finally(() => process.exit(1));
  });
  process.send?.({ type: 'sluice-started', httpPort: scrubber.httpPort });
}
