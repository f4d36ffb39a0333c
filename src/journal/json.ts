/** JSON of what a journal event may hold (MessagePack values): bigints as decimal strings, bytes as `{ base64 }`. */
export function journalJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return { base64: Buffer.from(v).toString('base64') };
      return v;
    },
    indent,
  );
}
