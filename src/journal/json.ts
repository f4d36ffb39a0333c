/** JSON of what a journal event may hold (MessagePack values): bigints as decimal strings, bytes as `{ base64 }`. */
export function journalJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    function (this: Record<string, unknown>, key, v) {
      // The holder's own value: a Buffer has already turned itself into `{ type, data }` in `v`.
      const raw = this[key];
      if (typeof raw === 'bigint') return raw.toString();
      if (raw instanceof Uint8Array) return { base64: Buffer.from(raw).toString('base64') };
      return v;
    },
    indent,
  );
}
