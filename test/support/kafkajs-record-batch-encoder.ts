// kafkajs' produce request (and fetch decoder, for MAGIC_BYTE) require '../../../recordBatch/v0';
// jest maps it here (jest.config.cjs) so the tests' producers write batches as the services do.
import { encodeRecordBatch, MAGIC_BYTE } from '../../services/scrubber/src/kafka/kafkajs-record-encoder';

export = { RecordBatch: encodeRecordBatch, MAGIC_BYTE };
