import canonicalize from 'canonicalize';
import { CorruptData, InvalidArgument } from '../errors.js';
import { isWellFormedText } from '../validation.js';
import type { ExtensionValue, ReceiptExtensions } from './types.js';

/** Largest canonical encoding of one append's extensions. */
export const MAX_EXTENSION_BYTES = 4096;
const KEY = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;
const RESERVED = 'causeway.';

/**
 * Checks caller-supplied extensions (namespaced keys, JSON values, at most 4 KiB canonical) and
 * refuses the reserved `causeway.` namespace, which only the journal writes.
 */
export function validateExtensions(extensions: unknown): ReceiptExtensions {
  if (extensions === null || typeof extensions !== 'object' || Array.isArray(extensions))
    throw new InvalidArgument('extensions must be an object of namespaced keys');
  for (const [key, value] of Object.entries(extensions)) {
    if (!KEY.test(key) || key.length > 128)
      throw new InvalidArgument(`extension key ${key} must be namespace.name in lower case`, { key });
    if (key.startsWith(RESERVED))
      throw new InvalidArgument(`the ${RESERVED} namespace is reserved for the journal`, { key });
    checkJson(value, key, 0);
  }
  return extensions as ReceiptExtensions;
}

/**
 * The canonical bytes of extensions (RFC 8785 JSON: sorted keys, shortest numbers), or null when
 * there are none. The same values always give the same bytes, so a decoded copy re-encodes exactly.
 */
export function encodeExtensions(extensions: ReceiptExtensions | undefined): Buffer | null {
  if (extensions === undefined || Object.keys(extensions).length === 0) return null;
  const bytes = Buffer.from(canonicalize(extensions) as string);
  if (bytes.length > MAX_EXTENSION_BYTES)
    throw new InvalidArgument(`extensions take ${bytes.length} bytes; at most ${MAX_EXTENSION_BYTES}`, {
      bytes: bytes.length,
    });
  return bytes;
}

/** Extensions from their canonical bytes. */
export function decodeExtensions(bytes: Uint8Array): ReceiptExtensions {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new CorruptData(`receipt extensions are not JSON: ${text.slice(0, 64)}`, {
      file: 'an event frame',
    });
  }
}

function checkJson(value: unknown, path: string, depth: number): asserts value is ExtensionValue {
  if (depth > 16) throw new InvalidArgument(`extension ${path} is nested too deeply`);
  if (typeof value === 'string') {
    if (!isWellFormedText(value))
      throw new InvalidArgument(`extension ${path} holds a lone surrogate`, { path });
    return;
  }
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgument(`extension ${path} must be a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      if (!isWellFormedText(k))
        throw new InvalidArgument(`extension ${path} has a key with a lone surrogate`, { path });
      checkJson(v, `${path}.${k}`, depth + 1);
    }
    return;
  }
  throw new InvalidArgument(
    `extension ${path} must be a JSON value (null, boolean, number, string, array, object)`,
    {
      path,
    },
  );
}
