/**
 * kafkajs 2.2.4 (its last release) keeps a 1 ms timer running on every broker connection for as
 * long as the connection lives. After each answer its request queue "schedules a check" with
 * `setTimeout(check, throttledUntil - Date.now())`; with no client-side throttle `throttledUntil`
 * is -1, the delay is minus the epoch time, Node runs it after 1 ms (and Node 24 says so in a
 * TimeoutNegativeWarning, kafkajs issue #1751), and the check schedules the next one: a thousand
 * wake-ups a second per connection, busy or idle. Measured here (Node 24, 8 idle producers on one
 * broker, 5 s): 161-169 ms of CPU with kafkajs' timer, 9 ms with this one.
 *
 * The check only has work when requests are pending: they are sent once the throttle ends or an
 * in-flight request completes (kafkajs checks again when one does). So this schedules a check only
 * for pending requests, at the throttle's end or after kafkajs' own 10 ms interval, as kafkajs
 * meant to. An empty queue schedules nothing; a request that cannot be sent at once is queued by
 * `push`, which schedules the check then. It patches the class's prototype, so queues created before
 * it loaded stop their loop at their next check.
 */
/** kafkajs' src/network/requestQueue (no types ship with kafkajs' internals). */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL: how soon to look again at requests waiting for an in-flight slot. */
export const CHECK_PENDING_INTERVAL_MS = 10;

/** The replacement for RequestQueue.prototype.scheduleCheckPendingRequests. */
export function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const throttledFor = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledFor > 0 ? throttledFor : CHECK_PENDING_INTERVAL_MS,
  );
}

let installed = false;

export function installRequestQueueTimer(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs internals, untyped CommonJS
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}

installRequestQueueTimer();
