// Stops the broker global-setup started, after the last broker-backed project finished.
// External and reused (`npm run kafka:start`) brokers are never stopped.
import { removeBrokerInfo } from './broker-info';
import { note, releaseSetup } from './setup-state';

export default async function globalTeardown(): Promise<void> {
  const { last, state } = releaseSetup();
  if (!last || !state) return;
  removeBrokerInfo();
  if (state.stop) {
    const t0 = Date.now();
    await state.stop();
    note(`Kafka broker (${state.info.kind}) stopped in ${Date.now() - t0} ms`);
  }
}
