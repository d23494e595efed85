// kafkajs' fetch manager requires './fetcher'; jest maps it here (jest.config.cjs) so the tests'
// consumers fetch as the services' do.
import { createFetchAheadFetcher } from '../../services/scrubber/src/kafka/kafkajs-fetch-ahead';

export = createFetchAheadFetcher;
