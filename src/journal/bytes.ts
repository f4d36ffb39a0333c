/**
 * Small writers for the hot path. Entities, scopes and types are short and usually ASCII; copying
 * them a char at a time is several times cheaper than a call into `Buffer.write`.
 */
export function writeUtf8(buf: Buffer, o: number, s: string): number {
  const n = s.length;
  if (n <= 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[o + i] = c;
    }
    if (i === n) return n;
  }
  return buf.write(s, o, 'utf8');
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** IEEE 754 double, little-endian (the platform order on every supported CPU is checked below). */
export function writeF64LE(buf: Uint8Array, o: number, v: number): number {
  f64[0] = v;
  buf.set(f64Bytes, o);
  return o + 8;
}

export function writeF64BE(buf: Uint8Array, o: number, v: number): number {
  f64[0] = v;
  for (let i = 0; i < 8; i++) buf[o + i] = f64Bytes[7 - i];
  return o + 8;
}

export function writeU32LE(buf: Uint8Array, o: number, v: number): number {
  buf[o] = v;
  buf[o + 1] = v >>> 8;
  buf[o + 2] = v >>> 16;
  buf[o + 3] = v >>> 24;
  return o + 4;
}

export function writeU16LE(buf: Uint8Array, o: number, v: number): number {
  buf[o] = v;
  buf[o + 1] = v >>> 8;
  return o + 2;
}

if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f)
  throw new Error('Causeway needs a little-endian CPU');
