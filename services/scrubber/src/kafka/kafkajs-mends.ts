/**
 * Every mend of kafkajs 2.2.4 (its last release), installed into its module cache. Import this
 * before anything imports `kafkajs`: a mend cannot replace a kafkajs module already loaded.
 *  - kafkajs-linear-grouping: linear instead of quadratic per-partition grouping of a send;
 *  - kafkajs-aborted-filter: read_committed readers drop every aborted transaction's records;
 *  - kafkajs-record-encoder: records and batches written once into one buffer (same bytes);
 *  - kafkajs-fetch-ahead: a partition is fetched again as soon as its own batch is done;
 *  - kafkajs-request-queue-timer: no 1 ms timer per connection for an empty request queue (it
 *    burned CPU on every connection, idle or not, and is the TimeoutNegativeWarning of Node 24).
 */
import './kafkajs-linear-grouping';
import './kafkajs-aborted-filter';
import './kafkajs-record-encoder';
import './kafkajs-fetch-ahead';
import './kafkajs-request-queue-timer';
