import { createHmac } from 'node:crypto';
import { ErrorCodes } from '../errors';
import type { AnalysedRecord } from '../route/batch-processor';
import { failClosed, type LocatedFinding } from '../route/decide';
import type { Finding, RecordScanner, ScanText } from '../scan/types';
import { KeystrokeRebuilder, ownersOfSpan, type Owner } from './keystroke-rebuilder';
import { telemetryInfo, type TelemetryInfo } from './telemetry-event';
import type { PartitionHoldback } from './holdback';
import { InputCursor, countBelow, releasableLength, releasablePrefix, unsettledCount } from './head-of-line';

/**
 * Head-of-line hold for one input partition of keystroke telemetry (DESIGN "Context that spans
 * records"): key events are held until the text typed into their field is settled, then scanned
 * as a whole; every event that carried part of a finding takes the finding. Nothing after the
 * oldest held event of the partition is released, so committing offsets up to the first held
 * record is exactly once across crashes: a new owner re-reads the held events and rebuilds them.
 *
 * Settled = a boundary (Enter, Tab, Escape, focus change), an idle gap (event time while records
 * flow, wall clock only once the partition is confirmed fully read), the run growing past the
 * longest secret a rule matches, or the maximum hold time. An idle gap does not settle a run that
 * still looks like the start of a secret; at the maximum hold time such a run fails closed: the
 * keys of its unfinished token are masked (to redacted), never passed to clean.
 */
export interface KeystrokeHoldbackOptions {
  source: string;
  scanner: RecordScanner;
  fingerprintKey: Buffer;
  idleGapMs: number;
  maxHoldMs: number;
  maxRunChars: number;
  maxHeldEvents: number;
  now?: () => number;
  /** Told about every run that settles (offsets and counts only, never typed text). */
  onSettle?: (s: SettledRun) => void;
}

/** Why a run of typing was considered complete. */
export type SettleReason =
  | 'boundary'
  | 'focus'
  | 'max-run-chars'
  | 'idle-event-time'
  | 'idle-wall-clock'
  | 'max-hold'
  | 'memory-bound'
  | 'orphaned';

export interface SettledRun {
  reason: SettleReason;
  events: number;
  firstOffset: bigint;
  lastOffset: bigint;
  /** Offsets of the run's events, in order. */
  offsets: bigint[];
  /** A rule matched the run (or its inserted characters). */
  found: boolean;
  /** Its unfinished token was masked (fail closed at the maximum hold or the memory bound). */
  masked: boolean;
}

interface Entry {
  a: AnalysedRecord;
  offset: bigint;
  settled: boolean;
  arrivedAt: number;
  /** The record's own timestamp (event time). */
  eventTs: number;
  info: TelemetryInfo | null;
  /** The open run this event belongs to, until it settles. */
  run: Run | null;
  /** Emitted by another owner (dropBelow): keeps its place in the run, takes no finding. */
  dropped?: boolean;
  /** First offset of the run this event belongs to (kept after it settles). */
  runFirst?: bigint;
}

interface Run {
  fieldKey: string;
  deviceSession: string;
  rebuilder: KeystrokeRebuilder;
  /** Events of this run; an event's index here is its id inside the rebuilder. */
  entries: Entry[];
  firstArrival: number;
  lastArrival: number;
  firstEventTs: number;
  lastEventTs: number;
  /** Set when the run is chosen for settling. */
  reason?: SettleReason;
  /** The unfinished last token of a run that reached the maximum hold, carried on once. */
  carried?: boolean;
  /** The field's previous run ended in a masked unfinished token: this run's first token continues it. */
  continuesMasked?: boolean;
  /**
   * First offset of that masked run: what a new owner must re-read to know this run continues a
   * masked token (the mask is in no record; it is rebuilt from the same events).
   */
  contextFirst?: bigint;
}

/** Fields whose last run ended in a masked token, remembered at most this many (oldest dropped). */
const MAX_MASKED_FIELDS = 10_000;

/** Prefixes that mark a token as the start of a secret: an idle gap does not settle it. */
const SECRET_PREFIXES = [
  'AKIA',
  'ASIA',
  'AGPA',
  'AIDA',
  'AROA',
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'github_pat_',
  'glpat-',
  'sk-',
  'sk_live_',
  'rk_live_',
  'pk_live_',
  'xoxb-',
  'xoxp-',
  'xoxa-',
  'AIza',
  'hf_',
  'npm_',
  'pypi-',
  'dckr_pat_',
  'SG.',
  'shpat_',
  'eyJ',
  '-----BEGIN',
  'r8_',
  'gsk_',
  'pplx-',
  'glc_',
  'hvs.',
  'dp.pt.',
];

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** The last whitespace-separated token of a text, if the text does not end in whitespace. */
export function trailingToken(text: string): { start: number; token: string } | null {
  let start = text.length;
  while (start > 0 && !/\s/.test(text[start - 1]!)) start--;
  return start === text.length ? null : { start, token: text.slice(start) };
}

/** The last whitespace-separated token of a run, if it still looks like part of a secret. */
export function unfinishedToken(text: string): { start: number; token: string } | null {
  const last = trailingToken(text);
  if (!last || last.token.length < 2) return null;
  const { start, token } = last;
  for (const p of SECRET_PREFIXES) {
    if (token.startsWith(p) || (token.length < p.length && p.startsWith(token) && token.length >= 2))
      return { start, token };
  }
  // A long random-looking run (a password or key typed without a known prefix).
  if (token.length >= 10 && entropy(token) >= 3.2) return { start, token };
  // A number being typed (card, phone, account: digits and separators) or an email address.
  if (/^[+(]?\d[\d().-]{3,}$/.test(token) || /^[^@\s]+@[^@\s]*$/.test(token)) return { start, token };
  return null;
}

const EDIT_PATH_REBUILT = 'typed';
const EDIT_PATH_INSERTED = 'typed.inserted';

export class KeystrokeHoldback implements PartitionHoldback {
  private queue: Entry[] = [];
  private readonly runs = new Map<string, Run>();
  /** Runs cut by dropBelow: settled (fail closed) at the next tick. */
  private readonly orphaned = new Set<Run>();
  /**
   * Fields whose last settled run ended in a masked unfinished token: that run's first offset and
   * when it was masked (event time). Forgotten after twice the maximum hold without a sequel.
   */
  private readonly maskedFields = new Map<string, { first: bigint; at: number }>();
  private readonly now: () => number;
  /** Next offset, event-time watermark and last confirmed caught-up time of the partition. */
  private readonly cursor = new InputCursor();

  constructor(private readonly opts: KeystrokeHoldbackOptions) {
    this.now = opts.now ?? Date.now;
  }

  get heldCount(): number {
    return unsettledCount(this.queue);
  }

  /** Records waiting in the queue (held ones and those behind them). */
  get queuedCount(): number {
    return this.queue.length;
  }

  get openRuns(): number {
    return this.runs.size;
  }

  /** Wall-clock age of the oldest record still in the queue, 0 when empty. */
  oldestAgeMs(): number {
    return this.queue.length === 0 ? 0 : this.now() - this.queue[0]!.arrivedAt;
  }

  /** Nothing ingested yet (see PartitionHoldback.fresh). */
  get fresh(): boolean {
    return this.cursor.fresh;
  }

  /**
   * The first offset of the earliest run that queued events (after the first `skip`) belong to.
   * A run's head may be released while its tail waits behind another held run; committing this
   * with the offset lets a new owner re-read the head as context and give the tail the run's
   * finding (without it, the tail alone matches nothing: a typed key would go to clean).
   */
  contextFrom(skip: number): bigint | null {
    let min: bigint | null = null;
    for (let i = skip; i < this.queue.length; i++) {
      const f = this.queue[i]!.runFirst;
      if (f !== undefined && (min === null || f < min)) min = f;
    }
    // A masked token whose rest may still be typed: the next owner must see it to mask the rest.
    for (const m of this.maskedFields.values()) if (min === null || m.first < min) min = m.first;
    return min;
  }

  /** Adds newly consumed records (in offset order) and settles the runs they end. */
  async ingest(records: readonly AnalysedRecord[], contextBelow?: bigint): Promise<void> {
    const now = this.now();
    const toSettle = new Set<Run>();
    for (const a of records) {
      const admitted = this.cursor.admit(a, now);
      if (!admitted) continue;
      const { offset, eventTs } = admitted;
      const e: Entry = { a, offset, settled: true, arrivedAt: now, eventTs, info: null, run: null };
      // Context: emitted by the previous owner; it joins its run (text, not a finding), unqueued.
      const context = contextBelow !== undefined && offset < contextBelow;
      if (context) e.dropped = true;
      else this.queue.push(e);
      // Records already decided (undecodable, password field, too large) never join a run.
      if (a.p.early) continue;
      const info = telemetryInfo(a.p);
      e.info = info;
      if (!info) continue;
      const act = info.action;
      if (act.kind === 'focus') {
        for (const run of this.runs.values()) {
          if (run.deviceSession !== info.deviceSession) continue;
          run.reason ??= 'focus';
          toSettle.add(run);
        }
        continue;
      }
      if (act.kind === 'other') continue;
      let run = this.runs.get(info.fieldKey);
      if (!run || toSettle.has(run)) {
        if (run) this.runs.delete(info.fieldKey);
        run = {
          fieldKey: info.fieldKey,
          deviceSession: info.deviceSession,
          rebuilder: new KeystrokeRebuilder(),
          entries: [],
          firstArrival: now,
          lastArrival: now,
          firstEventTs: eventTs,
          lastEventTs: eventTs,
        };
        const masked = this.maskedFields.get(info.fieldKey);
        if (masked !== undefined) {
          this.maskedFields.delete(info.fieldKey);
          run.continuesMasked = true;
          run.contextFirst = masked.first;
        }
        this.runs.set(info.fieldKey, run);
      }
      const id = run.entries.length;
      run.entries.push(e);
      e.run = run;
      e.runFirst = runFirst(run);
      e.settled = false;
      run.lastArrival = now;
      run.lastEventTs = Math.max(run.lastEventTs, eventTs);
      if (act.kind === 'key') {
        if (run.rebuilder.key(id, act.key, act.modifiers) === 'boundary') {
          run.reason ??= 'boundary';
          toSettle.add(run);
        }
      } else {
        run.rebuilder.insert(id, act.text);
      }
      if (run.rebuilder.insertedLength > this.opts.maxRunChars) {
        run.reason ??= 'max-run-chars';
        toSettle.add(run);
      }
    }
    await this.settle([...toSettle], false);
    await this.enforceBound();
  }

  /**
   * Bounded memory: the queue (held events and the settled ones queued behind them) may not
   * exceed maxHeldEvents. Runs are settled early, oldest first, until it fits; an early-settled
   * run that still looks like an unfinished secret fails closed (masked), never to clean.
   */
  private async enforceBound(): Promise<void> {
    const max = this.opts.maxHeldEvents;
    while (this.queue.length > max) {
      const blocking: Run[] = [];
      // Settle the runs that hold back the first (queue.length - max) + a margin of entries.
      const need = Math.min(this.queue.length, this.queue.length - max + Math.ceil(max / 10));
      for (let i = 0; i < need; i++) {
        const e = this.queue[i]!;
        if (e.settled) continue;
        if (e.run && !blocking.includes(e.run)) blocking.push(e.run);
        if (blocking.length >= 64) break;
      }
      if (blocking.length === 0) return; // the head is releasable: the caller releases it
      for (const r of blocking) r.reason ??= 'memory-bound';
      await this.settle(blocking, true);
      if (releasableLength(this.queue) >= this.queue.length - max) return;
    }
  }

  /** Settles runs that went idle (unless they look unfinished) or reached the maximum hold time. */
  async tick(): Promise<void> {
    const idle: Run[] = [];
    const expired: Run[] = [];
    for (const [field, m] of this.maskedFields)
      if (this.cursor.watermark - m.at > 2 * this.opts.maxHoldMs) this.maskedFields.delete(field);
    // Time is event time while records flow (a backlog replays fast, and its gaps are the
    // typist's, not ours). Wall-clock time counts only up to the last moment the partition was
    // confirmed fully read: then nothing typed after the run existed yet.
    for (const run of this.runs.values()) {
      const heldFor = Math.max(
        this.cursor.watermark - run.firstEventTs,
        this.cursor.caughtUpAt - run.firstArrival,
      );
      const idleEvent = this.cursor.watermark - run.lastEventTs;
      const idleWall = this.cursor.caughtUpAt - run.lastArrival;
      if (heldFor >= this.opts.maxHoldMs) {
        run.reason ??= 'max-hold';
        expired.push(run);
      } else if (
        Math.max(idleEvent, idleWall) >= this.opts.idleGapMs &&
        !unfinishedToken(run.rebuilder.text)
      ) {
        run.reason ??= idleEvent >= this.opts.idleGapMs ? 'idle-event-time' : 'idle-wall-clock';
        idle.push(run);
      }
    }
    if (this.orphaned.size > 0) {
      for (const r of this.orphaned) {
        if (this.runs.get(r.fieldKey) !== r || expired.includes(r)) continue;
        r.reason = 'orphaned';
        expired.push(r);
      }
      this.orphaned.clear();
    }
    if (idle.length > 0) await this.settle(idle, false);
    if (expired.length > 0) await this.settle(expired, true);
  }

  /**
   * The partition's high watermark as just read from the broker: when it is at our next offset,
   * every record produced so far has been ingested, and wall-clock idleness becomes meaningful.
   */
  markCaughtUp(highWatermark: bigint, at: number = this.now()): void {
    this.cursor.markCaughtUp(highWatermark, at);
  }

  /** The head of the queue whose decisions are final, in offset order (not removed yet). */
  releasable(): AnalysedRecord[] {
    return releasablePrefix(this.queue);
  }

  /** After the transaction that carried them committed: drop the first n released records. */
  private forgetDropped(dropped: Entry[]): void {
    // A run that lost its first events to another owner cannot be rebuilt whole here: settle what
    // is left now and fail closed on it (masked if it still looks unfinished).
    const runs = new Set<Run>();
    for (const e of dropped) {
      e.dropped = true;
      if (e.run) runs.add(e.run);
    }
    for (const r of runs) {
      this.orphaned.add(r);
    }
  }

  /** Forgets queued records below `offset`: another owner emitted them. */
  dropBelow(offset: bigint): void {
    const n = countBelow(this.queue, offset);
    if (n === 0) return;
    const dropped = this.queue.splice(0, n);
    this.cursor.skipTo(offset);
    this.forgetDropped(dropped);
  }

  commitReleased(n: number): void {
    this.queue.splice(0, n);
  }

  private async settle(runs: Run[], expiring: boolean): Promise<void> {
    if (runs.length === 0) return;
    for (const r of runs) if (this.runs.get(r.fieldKey) === r) this.runs.delete(r.fieldKey);
    const requests = runs.map((r) => {
      const texts: ScanText[] = [{ path: EDIT_PATH_REBUILT, text: r.rebuilder.text }];
      if (r.rebuilder.inserted !== r.rebuilder.text)
        texts.push({ path: EDIT_PATH_INSERTED, text: r.rebuilder.inserted });
      return { texts, source: this.opts.source };
    });
    const results = await this.opts.scanner.scanBatch(requests);
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      const res = results[i];
      if (!res || !res.ok) {
        // The typed text could not be scanned: every event of the run fails closed.
        const reason = res && !res.ok ? res.code : ErrorCodes.SCAN_FAILED;
        for (const e of run.entries) {
          if (!e.dropped) e.a.p.early = failClosed(reason);
          e.settled = true;
          e.run = null;
        }
        continue;
      }
      let found = false;
      const [rebuiltFindings, insertedFindings] = [res.findings[0] ?? [], res.findings[1] ?? []];
      for (const f of rebuiltFindings)
        found = this.attribute(run, f, run.rebuilder.text, run.rebuilder.textOwners) || found;
      for (const f of insertedFindings)
        found = this.attribute(run, f, run.rebuilder.inserted, run.rebuilder.insertedOwnersList) || found;
      let masked = false;
      const carried = expiring && !found && run.reason === 'max-hold' ? this.carryTail(run) : null;
      if (carried) {
        // Settled: the events before the unfinished last token. The token's events stay held in
        // a run of their own, with its own maximum hold (a slow typist's long line is cut
        // between words, never inside the secret being typed).
        this.markSettled(run.entries.slice(0, carried.from), 'max-hold', found, false);
        continue;
      }
      if (!found && run.entries.some((e) => e.dropped)) {
        // Part of this run went out with a previous owner, which may have cut it inside a token
        // (maximum hold) and masked the head: a token that runs from its events into ours is
        // masked here too (fail closed; the previous decision is not in any record).
        const text = run.rebuilder.text;
        const owners = run.rebuilder.textOwners;
        for (let i = 1; i < text.length; i++) {
          const prev = run.entries[owners[i - 1]?.event ?? -1];
          const cur = run.entries[owners[i]?.event ?? -1];
          if (!prev?.dropped || !cur || cur.dropped) continue;
          if (/\s/.test(text[i - 1]!) || /\s/.test(text[i]!)) continue;
          let end = i;
          while (end < text.length && !/\s/.test(text[end]!)) end++;
          this.maskSpan(run, i, text.slice(i, end));
          masked = true;
        }
      }
      if (run.continuesMasked) {
        // The rest of a token whose start was masked at the maximum hold: masked too, so no
        // fragment of a possible secret reaches clean, whatever it looks like on its own.
        const text = run.rebuilder.text;
        let end = 0;
        while (end < text.length && !/\s/.test(text[end]!)) end++;
        if (end > 0) {
          this.maskSpan(run, 0, text.slice(0, end));
          masked = true;
          if (end === text.length && expiring) this.rememberMasked(run.fieldKey, runFirst(run));
        }
      }
      if (expiring) {
        // Cut by the maximum hold or the memory bound, not by the typist: the token being typed
        // is incomplete whatever it looks like (after a restart it can be the middle of a key,
        // which no prefix or entropy test recognises), so it is masked, and so is its rest —
        // also when a rule matched its start or elsewhere in the run (that finding need not cover
        // the token being typed: a 30-minute soak sent 3 such card/email keys to clean).
        const tail = trailingToken(run.rebuilder.text);
        if (tail) {
          this.maskSpan(run, tail.start, tail.token);
          masked = true;
          this.rememberMasked(run.fieldKey, runFirst(run));
        }
      }
      this.markSettled(run.entries, run.reason ?? 'boundary', found, masked);
    }
  }

  /** Marks events settled (their decisions final) and reports them to onSettle. */
  private markSettled(entries: Entry[], reason: SettleReason, found: boolean, masked: boolean): void {
    for (const e of entries) {
      e.settled = true;
      e.run = null;
    }
    this.opts.onSettle?.({
      reason,
      events: entries.length,
      firstOffset: entries[0]?.offset ?? -1n,
      lastOffset: entries[entries.length - 1]?.offset ?? -1n,
      offsets: entries.map((e) => e.offset),
      found,
      masked,
    });
  }

  /**
   * At the maximum hold, a run whose text ends in a token still being typed hands that token's
   * events (from the first event that typed any of it) to a new run, once. Returns where the
   * carried events start, or null when there is nothing to carry (text ends in whitespace, the
   * run was carried before, or another run of the field exists).
   */
  private carryTail(run: Run): { from: number } | null {
    if (run.carried || this.runs.has(run.fieldKey)) return null;
    const text = run.rebuilder.text;
    const token = trailingToken(text);
    if (!token) return null;
    let from = run.entries.length;
    for (let i = token.start; i < text.length; i++) {
      const ev = run.rebuilder.textOwners[i]?.event ?? -1;
      if (ev >= 0 && ev < from) from = ev;
    }
    // No event owns the token, or the whole run is the token: nothing to cut before it.
    if (from === 0 || from >= run.entries.length) return null;
    const tail = run.entries.slice(from);
    // Its events were held for the maximum already: no second wait.
    const heldFor = Math.max(
      this.cursor.watermark - tail[0]!.eventTs,
      this.cursor.caughtUpAt - tail[0]!.arrivedAt,
    );
    if (heldFor >= this.opts.maxHoldMs) return null;
    const next: Run = {
      fieldKey: run.fieldKey,
      deviceSession: run.deviceSession,
      rebuilder: new KeystrokeRebuilder(),
      entries: [],
      firstArrival: tail[0]!.arrivedAt,
      lastArrival: run.lastArrival,
      firstEventTs: tail[0]!.eventTs,
      lastEventTs: run.lastEventTs,
      carried: true,
    };
    for (const e of tail) {
      const id = next.entries.length;
      next.entries.push(e);
      e.run = next;
      e.runFirst = tail[0]!.offset;
      const act = e.info?.action;
      if (act?.kind === 'key') next.rebuilder.key(id, act.key, act.modifiers);
      else if (act?.kind === 'insert') next.rebuilder.insert(id, act.text);
    }
    this.runs.set(run.fieldKey, next);
    return { from };
  }

  /** Gives a run-level finding to every event that typed (part of) it. */
  private attribute(run: Run, f: Finding, text: string, owners: readonly Owner[]): boolean {
    const byEvent = new Map<number, { min: number; max: number }>();
    for (const o of ownersOfSpan(text, owners, f.start, f.end)) {
      const r = byEvent.get(o.event);
      if (!r) byEvent.set(o.event, { min: o.index, max: o.index });
      else {
        r.min = Math.min(r.min, o.index);
        r.max = Math.max(r.max, o.index);
      }
    }
    for (const [event, range] of byEvent) {
      const e = run.entries[event]!;
      if (e.dropped) continue;
      const lf = this.locate(e, f, range);
      if (lf) e.a.extra.push(lf);
    }
    return byEvent.size > 0 && !f.shadow;
  }

  private locate(e: Entry, f: Finding, range: { min: number; max: number }): LocatedFinding | null {
    const act = e.info?.action;
    if (!act || (act.kind !== 'key' && act.kind !== 'insert')) return null;
    const leaf = act.leaf;
    if (leaf < 0) {
      // The schema has no leaf for this text: the event cannot be redacted in place.
      e.a.p.early = failClosed(ErrorCodes.UNREDACTABLE_FIELD);
      return null;
    }
    const leafText = e.a.p.texts[leaf]!.text;
    // A key event is masked whole; a paste or autofill only where it carried the secret.
    const start = act.kind === 'key' ? 0 : range.min;
    const end =
      act.kind === 'key'
        ? leafText.length
        : Math.min(leafText.length, range.max + charLength(leafText, range.max));
    return { ...f, start, end, path: e.a.p.texts[leaf]!.path, textIndex: leaf };
  }

  private rememberMasked(fieldKey: string, first: bigint): void {
    this.maskedFields.delete(fieldKey);
    this.maskedFields.set(fieldKey, { first, at: this.cursor.watermark });
    if (this.maskedFields.size > MAX_MASKED_FIELDS)
      this.maskedFields.delete(this.maskedFields.keys().next().value as string);
  }

  /** A synthetic fail-closed finding over text[start, start + token.length): its keys masked. */
  private maskSpan(run: Run, start: number, token: string): void {
    const fp = createHmac('sha256', this.opts.fingerprintKey).update(token).digest('hex');
    const synthetic: Finding = {
      ruleId: 'keystroke-unsettled',
      category: 'credential',
      action: 'redact',
      shadow: false,
      label: 'TYPED',
      start,
      end: start + token.length,
      fingerprint: fp,
      preview: '…',
    };
    this.attribute(run, synthetic, run.rebuilder.text, run.rebuilder.textOwners);
  }
}

/** Where a new owner must start re-reading to rebuild this run as it is (see contextFrom). */
function runFirst(run: Run): bigint {
  const own = run.entries[0]?.offset ?? -1n;
  return run.contextFirst !== undefined && run.contextFirst < own ? run.contextFirst : own;
}

function charLength(text: string, index: number): number {
  const c = text.charCodeAt(index);
  return c >= 0xd800 && c <= 0xdbff ? 2 : 1;
}
