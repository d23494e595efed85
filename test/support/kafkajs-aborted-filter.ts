// kafkajs' consumer/batch.js requires './filterAbortedMessages'; jest maps it here (jest.config.cjs)
// so the tests' read_committed readers filter aborted transactions as the services do.
import { filterAbortedMessages } from '../../services/scrubber/src/kafka/kafkajs-aborted-filter';

export = filterAbortedMessages;
