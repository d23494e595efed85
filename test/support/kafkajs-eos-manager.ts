// kafkajs' producer requires './eosManager'; jest maps it here (jest.config.cjs) so the tests'
// producers keep their transaction manager reachable, as the services' do (the pipeline's
// transaction head start needs it).
import { createTrackedEosManager } from '../../services/scrubber/src/kafka/kafkajs-transaction-head-start';

export = createTrackedEosManager;
