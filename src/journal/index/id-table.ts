/**
 * An open-addressing hash table from 16-byte event ids to slots, storing only slot numbers: the ids
 * themselves live in the index's id column, which is what keeps it at a few bytes per event.
 */
export class IdTable {
  private table = new Int32Array(1024).fill(-1);
  private mask = 1023;
  private used = 0;

  constructor(private readonly idColumn: () => Uint8Array) {}

  /** Slot of the id, or -1. */
  find(id: Uint8Array): number {
    let i = hashId(id) & this.mask;
    for (;;) {
      const slot = this.table[i];
      if (slot === -1) return -1;
      if (sameId(this.idColumn(), slot * 16, id)) return slot;
      i = (i + 1) & this.mask;
    }
  }

  insert(id: Uint8Array, slot: number): void {
    if ((this.used + 1) * 2 > this.table.length) this.grow();
    this.place(id, slot);
    this.used++;
  }

  /** Rebuilds the table for slots `0..count-1` (after loading a snapshot). */
  rebuild(count: number): void {
    let size = 1024;
    while (size < count * 2) size *= 2;
    this.table = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.used = 0;
    const ids = this.idColumn();
    for (let s = 0; s < count; s++) this.insert(ids.subarray(s * 16, s * 16 + 16), s);
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  private place(id: Uint8Array, slot: number): void {
    let i = hashId(id) & this.mask;
    while (this.table[i] !== -1) i = (i + 1) & this.mask;
    this.table[i] = slot;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2).fill(-1);
    this.mask = this.table.length - 1;
    const ids = this.idColumn();
    for (let i = 0; i < old.length; i++) {
      const slot = old[i];
      if (slot !== -1) this.place(ids.subarray(slot * 16, slot * 16 + 16), slot);
    }
  }
}

// UUIDv7 ends in random bits; mixing the last 8 bytes spreads sequential and random ids alike.
function hashId(id: Uint8Array): number {
  const a = (id[8] | (id[9] << 8) | (id[10] << 16) | (id[11] << 24)) >>> 0;
  const b = (id[12] | (id[13] << 8) | (id[14] << 16) | (id[15] << 24)) >>> 0;
  return Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) >>> 0;
}

function sameId(column: Uint8Array, at: number, id: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (column[at + i] !== id[i]) return false;
  return true;
}
