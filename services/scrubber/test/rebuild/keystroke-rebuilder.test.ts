import fc from 'fast-check';
import { KeystrokeRebuilder, ownersOfSpan, type Modifier } from '../../src/rebuild/keystroke-rebuilder';

type Op =
  | { t: 'type'; ch: string }
  | { t: 'paste'; text: string }
  | { t: 'key'; key: 'Backspace' | 'Delete' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End' }
  | { t: 'wordDelete' }
  | { t: 'selectAll' };

/** The reference editor: plain string operations, obviously right, slow. */
class ReferenceEditor {
  text = '';
  cursor = 0;
  selected = false;
  inserted = '';
  private chars(): string[] {
    return [...this.text];
  }
  insert(s: string) {
    if (this.selected) this.clear();
    const c = this.chars();
    const add = [...s];
    c.splice(this.cursor, 0, ...add);
    this.text = c.join('');
    this.cursor += add.length;
    this.inserted += s;
  }
  clear() {
    this.text = '';
    this.cursor = 0;
    this.selected = false;
  }
  apply(op: Op) {
    const c = this.chars();
    switch (op.t) {
      case 'type':
        return this.insert(op.ch);
      case 'paste':
        return this.insert(op.text);
      case 'selectAll':
        this.selected = c.length > 0;
        return;
      case 'wordDelete': {
        if (this.selected) return this.clear();
        let s = this.cursor;
        while (s > 0 && /\s/.test(c[s - 1]!)) s--;
        while (s > 0 && !/\s/.test(c[s - 1]!)) s--;
        c.splice(s, this.cursor - s);
        this.text = c.join('');
        this.cursor = s;
        return;
      }
      case 'key':
        if (op.key === 'Backspace') {
          if (this.selected) return this.clear();
          if (this.cursor > 0) {
            c.splice(this.cursor - 1, 1);
            this.cursor--;
          }
        } else if (op.key === 'Delete') {
          if (this.selected) return this.clear();
          if (this.cursor < c.length) c.splice(this.cursor, 1);
        } else {
          this.selected = false;
          if (op.key === 'ArrowLeft') this.cursor = Math.max(0, this.cursor - 1);
          else if (op.key === 'ArrowRight') this.cursor = Math.min(c.length, this.cursor + 1);
          else if (op.key === 'Home') this.cursor = 0;
          else this.cursor = c.length;
        }
        this.text = c.join('');
    }
  }
}

const charArb = fc.constantFrom('a', 'b', 'Z', '1', ' ', '_', '-', 'é', '😀', '\u0301');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: charArb.map((ch) => ({ t: 'type' as const, ch })) },
  {
    weight: 1,
    arbitrary: fc.array(charArb, { maxLength: 6 }).map((a) => ({ t: 'paste' as const, text: a.join('') })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('Backspace', 'Delete', 'ArrowLeft', 'ArrowRight', 'Home', 'End')
      .map((key) => ({ t: 'key' as const, key: key as 'Backspace' })),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'wordDelete' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'selectAll' as const }) },
);

function applyToRebuilder(r: KeystrokeRebuilder, op: Op, id: number): void {
  const none: Modifier[] = [];
  if (op.t === 'type') r.key(id, op.ch, none);
  else if (op.t === 'paste') r.insert(id, op.text);
  else if (op.t === 'key') r.key(id, op.key, none);
  else if (op.t === 'wordDelete') r.key(id, 'Backspace', ['CTRL']);
  else r.key(id, 'a', ['CTRL']);
}

describe('KeystrokeRebuilder', () => {
  test('matches the reference editor on random edit sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const ref = new ReferenceEditor();
        const r = new KeystrokeRebuilder();
        ops.forEach((op, i) => {
          ref.apply(op);
          applyToRebuilder(r, op, i);
        });
        expect(r.text).toBe(ref.text);
        // The stream holds every inserted char, with line breaks at edit points.
        expect(r.inserted.replace(/\n/g, '')).toBe(ref.inserted.replace(/\n/g, ''));
        // Every character is owned by the event that inserted it, at the right position.
        const chars = [...r.text];
        r.textOwners.forEach((o, i) => {
          const op = ops[o.event]!;
          const src = op.t === 'type' ? op.ch : op.t === 'paste' ? op.text : '';
          expect(src.slice(o.index, o.index + chars[i]!.length)).toBe(chars[i]);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('boundaries do not edit; ctrl shortcuts other than select-all insert nothing', () => {
    const r = new KeystrokeRebuilder();
    expect(r.key(0, 'a')).toBe('edit');
    expect(r.key(1, 'Enter')).toBe('boundary');
    expect(r.key(2, 'Tab')).toBe('boundary');
    expect(r.key(3, 'c', ['CTRL'])).toBe('ignored');
    expect(r.key(4, 'Shift')).toBe('ignored');
    expect(r.text).toBe('a');
  });

  test('an erased secret is gone from the text but still in the inserted stream', () => {
    const r = new KeystrokeRebuilder();
    'hunter2'.split('').forEach((c, i) => r.key(i, c));
    r.key(10, 'a', ['CTRL']);
    r.key(11, 'Backspace');
    'ok'.split('').forEach((c, i) => r.key(20 + i, c));
    expect(r.text).toBe('ok');
    expect(r.inserted).toBe('hunter2\nok');
    expect(ownersOfSpan(r.inserted, r.insertedOwnersList, 0, 7).map((o) => o.event)).toEqual([
      0, 1, 2, 3, 4, 5, 6,
    ]);
  });

  test('ownersOfSpan maps UTF-16 spans across astral characters', () => {
    const r = new KeystrokeRebuilder();
    ['😀', 'a', 'b'].forEach((c, i) => r.key(i, c));
    expect(r.text).toBe('😀ab');
    expect(ownersOfSpan(r.text, r.textOwners, 2, 4).map((o) => o.event)).toEqual([1, 2]);
    expect(ownersOfSpan(r.text, r.textOwners, 0, 2).map((o) => o.event)).toEqual([0]);
  });
});
