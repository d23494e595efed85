import type { CanaryType } from './config';

export type AuditVerdict = 'clean' | 'redacted' | 'quarantined';

const STRENGTH: Record<AuditVerdict, number> = { clean: 0, redacted: 1, quarantined: 2 };

/** What the verifier learnt about one output record of a tracked coordinate. */
export type OutputCheck = 'leaked' | 'no-secret';

interface CoordState {
  canary: TrackedCanary;
  /** Keystroke events: the character this event types; null for whole-record canaries. */
  secretChar: string | null;
  verdict: AuditVerdict | null;
  decidedAtMs: number;
  output: OutputCheck | null;
}

export interface TrackedCanary {
  id: string;
  type: CanaryType;
  secrets: Buffer[];
  sentAtMs: number;
  /** Coordinates ("topic/partition/offset") whose verdict decides the canary. */
  coords: Map<string, CoordState>;
  escaped: boolean;
  done: boolean;
  /** Outputs checked before the produce ack told us the coordinates (a fast gate). */
  earlyOutputs: Map<string, OutputCheck>;
}

export interface LedgerEvents {
  caught(c: TrackedCanary, verdict: AuditVerdict, latencySeconds: number): void;
  escaped(c: TrackedCanary): void;
  timedOut(c: TrackedCanary): void;
}

export interface AuditEntry {
  topic: string;
  partition: number;
  offset: bigint;
  /** Range audits (clean keystroke runs) cover [offset, offsetRangeEnd]. */
  offsetRangeEnd: bigint | null;
  verdict: AuditVerdict;
  decidedAtMs: number;
}

export function coordKey(topic: string, partition: number, offset: bigint | string): string {
  return `${topic}/${partition}/${offset}`;
}

/**
 * The verifier's book of canaries in flight. A canary is decided once every coordinate that
 * carries its secret has an audit verdict and, unless quarantined (encrypted, not readable by us),
 * its clean/redacted output has been checked for the secret. An output that still holds the
 * secret is an escape, whatever the audit says (a redaction that missed is not a catch).
 */
export class CanaryLedger {
  private readonly byId = new Map<string, TrackedCanary>();
  private readonly byCoord = new Map<string, CoordState>();
  /**
   * Audits seen while a send was in flight, in case the scrubber is faster than our produce ack.
   * Bounded, and kept only while sends are in flight, so it never grows with the traffic.
   */
  private early: AuditEntry[] = [];
  private sendsInFlight = 0;
  private static readonly EARLY_MAX = 50_000;

  constructor(private readonly events: LedgerEvents) {}

  get pending(): number {
    return this.byId.size;
  }

  pendingByType(): Map<CanaryType, number> {
    const out = new Map<CanaryType, number>();
    for (const c of this.byId.values()) out.set(c.type, (out.get(c.type) ?? 0) + 1);
    return out;
  }

  /** Registers a canary before it is sent, so an output seen early (by header) is still checked. */
  begin(id: string, type: CanaryType, secrets: Buffer[], sentAtMs: number): TrackedCanary {
    const c: TrackedCanary = {
      id,
      type,
      secrets,
      sentAtMs,
      coords: new Map(),
      escaped: false,
      done: false,
      earlyOutputs: new Map(),
    };
    this.byId.set(id, c);
    this.sendsInFlight++;
    return c;
  }

  /** The produce ack told us where the canary's records landed. */
  placed(
    c: TrackedCanary,
    coords: Array<{ topic: string; partition: number; offset: bigint; secretChar: string | null }>,
  ): void {
    this.sendsInFlight--;
    for (const p of coords) {
      const k = coordKey(p.topic, p.partition, p.offset);
      const st: CoordState = {
        canary: c,
        secretChar: p.secretChar,
        verdict: null,
        decidedAtMs: 0,
        output: c.earlyOutputs.get(k) ?? null,
      };
      c.coords.set(k, st);
      this.byCoord.set(k, st);
    }
    const early = this.early;
    if (this.sendsInFlight === 0) this.early = [];
    for (const a of early) this.audit(a);
    this.settle(c);
  }

  /** The send failed: nothing was written, so there is nothing to verify. */
  abandon(c: TrackedCanary): void {
    this.sendsInFlight--;
    this.forget(c);
  }

  findById(id: string): TrackedCanary | undefined {
    return this.byId.get(id);
  }

  /** The coordinate's canary and, for keystroke events, the character it types. */
  findByCoord(key: string): { canary: TrackedCanary; secretChar: string | null } | undefined {
    const st = this.byCoord.get(key);
    return st ? { canary: st.canary, secretChar: st.secretChar } : undefined;
  }

  /** An output record (clean or redacted) for a tracked canary was checked. */
  output(c: TrackedCanary, sourceCoord: string | null, check: OutputCheck): void {
    if (c.done) return;
    if (check === 'leaked' && !c.escaped) {
      c.escaped = true;
      this.events.escaped(c);
    }
    const st = sourceCoord ? c.coords.get(sourceCoord) : undefined;
    if (st && st.output !== 'leaked') st.output = check;
    else if (!st && sourceCoord && c.coords.size === 0) c.earlyOutputs.set(sourceCoord, check);
    this.settle(c);
  }

  audit(a: AuditEntry): void {
    const end = a.offsetRangeEnd ?? a.offset;
    if (end - a.offset > 100_000n) return; // a range this wide is not one of ours; don't walk it
    let hit = false;
    for (let o = a.offset; o <= end; o++) {
      const st = this.byCoord.get(coordKey(a.topic, a.partition, o));
      if (!st) continue;
      hit = true;
      st.verdict = a.verdict;
      st.decidedAtMs = a.decidedAtMs;
      this.settle(st.canary);
    }
    if (!hit && this.sendsInFlight > 0 && this.early.length < CanaryLedger.EARLY_MAX) this.early.push(a);
  }

  /** Canaries older than the deadline without a decision: the gate is down or losing records. */
  expire(nowMs: number, timeoutMs: number): void {
    for (const c of this.byId.values()) {
      if (c.coords.size === 0 || nowMs - c.sentAtMs < timeoutMs) continue;
      if (!c.escaped) this.events.timedOut(c);
      this.forget(c);
    }
  }

  private settle(c: TrackedCanary): void {
    if (c.done || c.coords.size === 0) return;
    let strongest: AuditVerdict = 'clean';
    let decidedAt = 0;
    for (const st of c.coords.values()) {
      if (st.verdict === null) return;
      // Quarantined payloads are encrypted to security's key: nothing to read, nothing leaked.
      if (st.verdict !== 'quarantined' && st.output === null) return;
      if (STRENGTH[st.verdict] > STRENGTH[strongest]) strongest = st.verdict;
      if (st.decidedAtMs > decidedAt) decidedAt = st.decidedAtMs;
    }
    c.done = true;
    if (!c.escaped) this.events.caught(c, strongest, Math.max(0, decidedAt - c.sentAtMs) / 1000);
    this.forget(c);
  }

  private forget(c: TrackedCanary): void {
    this.byId.delete(c.id);
    for (const k of c.coords.keys()) this.byCoord.delete(k);
  }
}
