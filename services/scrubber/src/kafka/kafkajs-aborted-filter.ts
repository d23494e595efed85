import { replaceKafkajsModule } from './kafkajs-module-replacement';

/**
 * read_committed filtering of aborted transactions, in place of kafkajs 2.2.4's (its last release).
 *
 * The broker answers a fetch with the records up to the last stable offset plus the list of
 * aborted transactions that overlap them (producer id, first offset); the client drops a
 * transactional record while its producer has an aborted transaction open at that offset, until
 * that producer's ABORT marker (Kafka's Fetcher does this per record batch). kafkajs activates at
 * most one aborted transaction per record it looks at, so when two aborted transactions of two
 * producers both began before a fetch (two producers writing one audit partition, both aborted by
 * a broker freeze), the first record of the second one passes as committed. Seen here as audit
 * records of aborted transactions in an integrity run (broker-bounce: 348 coordinates audited
 * twice, their outputs not). This version activates every aborted transaction that has begun at
 * each record, orders the list itself, and only takes a real control record as a marker.
 *
 * Installed into the module cache before kafkajs' consumer/batch.js requires it (like
 * kafkajs-linear-grouping); this module must load before `kafkajs`.
 */
interface FetchedMessage {
  offset: string;
  key: Buffer | Uint8Array | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** Control record key: version (int16) then type (int16); type 0 is ABORT, 1 is COMMIT. */
function isAbortMarker(m: FetchedMessage): boolean {
  if (!m.isControlRecord || !m.key || m.key.length < 4) return false;
  return m.key[2] === 0 && m.key[3] === 0;
}

export function filterAbortedMessages(args: {
  messages: FetchedMessage[];
  abortedTransactions?: AbortedTransaction[] | null;
}): FetchedMessage[] {
  const { messages, abortedTransactions } = args;
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = abortedTransactions
    .map((t) => ({ producerId: String(t.producerId), first: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let next = 0;
  const open = new Set<string>();
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (next < pending.length && pending[next]!.first <= offset) open.add(pending[next++]!.producerId);
    const producerId = String(m.batchContext.producerId);
    if (isAbortMarker(m)) {
      open.delete(producerId);
      return true; // control records are dropped by the caller
    }
    return !(m.batchContext.inTransaction && open.has(producerId));
  });
}

let installed = false;

/** True when our filter is the one kafkajs uses (false if kafkajs' consumer was loaded first). */
export function installAbortedFilter(): boolean {
  if (installed) return true;
  installed = replaceKafkajsModule(
    'kafkajs/src/consumer/filterAbortedMessages',
    'kafkajs/src/consumer/batch',
    filterAbortedMessages,
  );
  return installed;
}

installAbortedFilter();
