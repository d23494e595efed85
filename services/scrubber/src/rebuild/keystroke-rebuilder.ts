/**
 * Rebuilds the text typed into one field from key events, the way an editor would, and keeps
 * for every character the event (and the position in that event's text) that inserted it, so a
 * finding in the rebuilt text maps back to exactly the events that carried the secret.
 *
 * It also keeps the stream of every character ever inserted: a password typed into the wrong
 * field and erased is gone from the rebuilt text, but its key events are still in the topic.
 */
export interface Owner {
  /** Caller's id of the event that inserted the character. */
  event: number;
  /** Index of the character within that event's inserted text. */
  index: number;
}

export type Modifier = 'SHIFT' | 'CTRL' | 'ALT' | 'META';

/** Owner of the separators in the inserted stream: no event. */
export const SEPARATOR: Owner = Object.freeze({ event: -1, index: -1 });

/** Named keys that edit or move; anything else of length >= 1 that is not named inserts itself. */
const NAMED = new Set([
  'Backspace',
  'Delete',
  'Enter',
  'Tab',
  'Escape',
  'ArrowLeft',
  'ArrowRight',
  'ArrowUp',
  'ArrowDown',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  'Shift',
  'Control',
  'Alt',
  'Meta',
  'CapsLock',
  'Insert',
]);

export type KeyOutcome = 'edit' | 'boundary' | 'ignored';

export class KeystrokeRebuilder {
  private chars: string[] = [];
  private owners: Owner[] = [];
  private cursor = 0;
  /** Select-all is active: the next insert or delete replaces the whole text. */
  private allSelected = false;
  private insertedChars: string[] = [];
  private insertedOwners: Owner[] = [];
  /** An edit other than typing happened since the last insert: separate the next insert in the stream. */
  private edited = false;

  get text(): string {
    return this.chars.join('');
  }

  get textOwners(): readonly Owner[] {
    return this.owners;
  }

  /** Every character ever inserted, in order, erased ones included (edits separated by a line break). */
  get inserted(): string {
    return this.insertedChars.join('');
  }

  get insertedOwnersList(): readonly Owner[] {
    return this.insertedOwners;
  }

  get length(): number {
    return this.chars.length;
  }

  get insertedLength(): number {
    return this.insertedChars.length;
  }

  /**
   * Applies one key event. Returns `boundary` for keys that end a run of typing (Enter, Tab,
   * Escape): the caller settles the run. Boundary keys do not change the text.
   */
  key(event: number, key: string, modifiers: readonly Modifier[] = []): KeyOutcome {
    const ctrl = modifiers.includes('CTRL') || modifiers.includes('META');
    const alt = modifiers.includes('ALT');
    if (key === 'Enter' || key === 'Tab' || key === 'Escape') return 'boundary';
    if (key === 'Backspace') {
      if (ctrl || alt) this.deleteWordBefore();
      else this.deleteBefore();
      return 'edit';
    }
    if (key === 'Delete') {
      this.deleteAfter();
      return 'edit';
    }
    if (
      key === 'ArrowLeft' ||
      key === 'Home' ||
      key === 'ArrowRight' ||
      key === 'End' ||
      key === 'ArrowUp' ||
      key === 'ArrowDown'
    ) {
      this.allSelected = false;
      this.markEdited();
      if (key === 'ArrowLeft') this.cursor = Math.max(0, this.cursor - 1);
      else if (key === 'ArrowRight') this.cursor = Math.min(this.chars.length, this.cursor + 1);
      else if (key === 'Home' || key === 'ArrowUp') this.cursor = 0;
      else this.cursor = this.chars.length;
      return 'edit';
    }
    if (NAMED.has(key) || key.length === 0) return 'ignored';
    if (ctrl) {
      if (key.toLowerCase() === 'a') {
        this.allSelected = this.chars.length > 0;
        return 'edit';
      }
      // Ctrl+V arrives as a clipboard PASTE event with its text; other shortcuts insert nothing.
      return 'ignored';
    }
    this.insert(event, key);
    return 'edit';
  }

  /** Inserts text at the cursor (typing, paste, autofill), replacing a select-all. */
  insert(event: number, text: string): void {
    if (this.allSelected) this.clearAll();
    if (this.edited && this.insertedChars.length > 0) {
      // Text typed after an erase or a cursor jump is not a continuation of what came before:
      // a line break keeps an erased secret from fusing with later text in the stream (and
      // failing a rule's word boundary). Its owner is no event.
      this.insertedChars.push('\n');
      this.insertedOwners.push(SEPARATOR);
    }
    this.edited = false;
    let i = 0;
    for (const ch of text) {
      // Iterate by code point so an emoji is one character, as an editor shows it.
      this.chars.splice(this.cursor, 0, ch);
      const owner = { event, index: i };
      this.owners.splice(this.cursor, 0, owner);
      this.cursor++;
      this.insertedChars.push(ch);
      this.insertedOwners.push(owner);
      i += ch.length;
    }
  }

  private markEdited(): void {
    this.edited = true;
  }

  private clearAll(): void {
    this.markEdited();
    this.chars = [];
    this.owners = [];
    this.cursor = 0;
    this.allSelected = false;
  }

  private deleteBefore(): void {
    if (this.allSelected) return this.clearAll();
    if (this.cursor === 0) return;
    this.markEdited();
    this.chars.splice(this.cursor - 1, 1);
    this.owners.splice(this.cursor - 1, 1);
    this.cursor--;
  }

  private deleteAfter(): void {
    if (this.allSelected) return this.clearAll();
    if (this.cursor >= this.chars.length) return;
    this.markEdited();
    this.chars.splice(this.cursor, 1);
    this.owners.splice(this.cursor, 1);
  }

  /** Ctrl/Alt+Backspace: delete trailing spaces before the cursor, then the word before them. */
  private deleteWordBefore(): void {
    if (this.allSelected) return this.clearAll();
    this.markEdited();
    let start = this.cursor;
    while (start > 0 && /\s/.test(this.chars[start - 1]!)) start--;
    while (start > 0 && !/\s/.test(this.chars[start - 1]!)) start--;
    this.chars.splice(start, this.cursor - start);
    this.owners.splice(start, this.cursor - start);
    this.cursor = start;
  }
}

/**
 * Maps a finding's UTF-16 span in a rebuilt string back to the owners of the characters in it.
 * `chars` are code points, so UTF-16 offsets are walked char by char.
 */
export function ownersOfSpan(text: string, owners: readonly Owner[], start: number, end: number): Owner[] {
  const out: Owner[] = [];
  let u = 0;
  let i = 0;
  for (const ch of text) {
    const next = u + ch.length;
    if (next > start && u < end && owners[i]!.event >= 0) out.push(owners[i]!);
    if (u >= end) break;
    u = next;
    i++;
  }
  return out;
}
