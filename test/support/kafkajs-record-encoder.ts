// kafkajs' produce request requires '../../../recordBatch/record/v0'; jest maps it here
// (jest.config.cjs) so the tests' producers write records as the services do.
import { encodeRecord } from '../../services/scrubber/src/kafka/kafkajs-record-encoder';

export = encodeRecord;
