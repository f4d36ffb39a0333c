type TypedArray = Uint8Array | Uint32Array | Int32Array | Float64Array;
type TypedArrayCtor<T extends TypedArray> = { new (length: number): T; BYTES_PER_ELEMENT: number };

/** Capacity for `needed` elements, growing by half so large arrays waste little. */
function grownCapacity(current: number, needed: number): number {
  return Math.max(needed, Math.ceil(current * 1.5), 16);
}

/**
 * A fixed-width column that grows on demand: `width` elements per row (16 for ids, 1 for most).
 * Rows are addressed by slot; `ensure(rows)` makes room, `array` is read and written directly.
 */
export class Column<T extends TypedArray> {
  array: T;

  constructor(
    private readonly ctor: TypedArrayCtor<T>,
    readonly width = 1,
    private readonly fill?: number,
  ) {
    this.array = new ctor(0);
  }

  ensure(rows: number): void {
    const needed = rows * this.width;
    if (needed <= this.array.length) return;
    const next = new this.ctor(grownCapacity(this.array.length / this.width, rows) * this.width);
    if (this.fill !== undefined) next.fill(this.fill);
    next.set(this.array);
    this.array = next;
  }

  /** Replaces the contents with `rows` rows from a snapshot. */
  load(source: T, rows: number): void {
    this.array = new this.ctor(grownCapacity(0, rows) * this.width);
    if (this.fill !== undefined) this.array.fill(this.fill);
    this.array.set(source.subarray(0, rows * this.width));
  }

  get bytes(): number {
    return this.array.byteLength;
  }
}

/** An append-only, sorted-by-construction list of u32 (slots), growing by half. */
export class U32List {
  items: Uint32Array;
  length = 0;

  constructor(initial?: Uint32Array) {
    this.items = initial ?? new Uint32Array(4);
    if (initial) this.length = initial.length;
  }

  push(value: number): void {
    if (this.length === this.items.length) {
      const next = new Uint32Array(Math.max(4, Math.ceil(this.items.length * 1.5)));
      next.set(this.items);
      this.items = next;
    }
    this.items[this.length++] = value;
  }

  /** Index of the first value greater than `value` (the list is ascending). */
  upperBound(value: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  view(): Uint32Array {
    return this.items.subarray(0, this.length);
  }

  get bytes(): number {
    return this.items.byteLength + 64;
  }
}
