import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { InvalidArgument } from '../errors.js';
import { CURRENT_RECEIPT_FORMAT, receiptMessage, rootMessage } from './receipt-message.js';
import { buildTree, leafHash, rootFromPath } from './receipt-tree.js';
import type { GeneratedReceiptKey, ReceiptKeyInput, ReceiptSignature, ReceiptSubject } from './types.js';

/** Hex SHA-256 of the raw 32-byte Ed25519 public key: the id a signature names its key by. */
export function keyIdOf(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return createHash('sha256').update(raw).digest('hex');
}

/** Creates a new Ed25519 key for signing receipts. Store `privateKeyPem` as a secret. */
export function generateReceiptKey(): GeneratedReceiptKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

/**
 * The keys a journal signs and verifies receipts with, listed oldest to newest: the newest key that
 * has a private half signs, and every key verifies, so a key can be rotated without invalidating
 * the receipts the previous one signed.
 */
export class ReceiptKeyring {
  private readonly verifiers = new Map<string, KeyObject>();
  private readonly signer: { keyId: string; key: KeyObject } | null = null;

  constructor(keys: readonly ReceiptKeyInput[]) {
    if (!Array.isArray(keys) || keys.length === 0)
      throw new InvalidArgument('receipt keys must be a non-empty array of Ed25519 keys');
    for (const input of keys) {
      const key = toKeyObject(input);
      const publicKey = key.type === 'private' ? createPublicKey(key) : key;
      const keyId = keyIdOf(publicKey);
      this.verifiers.set(keyId, publicKey);
      if (key.type === 'private') this.signer = { keyId, key };
    }
  }

  /** Id of the key that signs, or null when every key is public (verification only). */
  get signingKeyId(): string | null {
    return this.signer?.keyId ?? null;
  }

  /** Ids of every key that verifies. */
  get keyIds(): string[] {
    return [...this.verifiers.keys()];
  }

  /**
   * Signs receipts together: one signature over the Merkle root of their messages, and a proof per
   * receipt (none when there is one receipt). Null when the keyring cannot sign.
   */
  signReceipts(receipts: readonly ReceiptSubject[]): ReceiptSignature[] | null {
    if (!this.signer || receipts.length === 0) return null;
    const { keyId, key } = this.signer;
    const leaves = receipts.map((r) => leafHash(receiptMessage(r)));
    const { root, paths } = buildTree(leaves);
    const value = sign(null, rootMessage(keyId, leaves.length, root), key).toString('base64url');
    const format = CURRENT_RECEIPT_FORMAT;
    if (leaves.length === 1) return [{ algorithm: 'ed25519', format, keyId, value }];
    const size = leaves.length;
    return paths.map((path, index) => ({
      algorithm: 'ed25519',
      format,
      keyId,
      value,
      proof: { index, size, path: path.map((h) => h.toString('hex')) },
    }));
  }

  /** Checks a receipt's signature (and proof) over the receipt's own fields. */
  verifyReceipt(
    receipt: ReceiptSubject,
    signature: ReceiptSignature,
  ): 'valid' | 'unknown-key' | 'bad-signature' {
    const key = this.verifiers.get(signature.keyId);
    if (!key) return 'unknown-key';
    const format = signature.format ?? 1;
    if (
      signature.algorithm !== 'ed25519' ||
      typeof signature.value !== 'string' ||
      (format !== 1 && format !== 2)
    )
      return 'bad-signature';
    const leaf = leafHash(receiptMessage(receipt, format));
    const { index = 0, size = 1, path = [] } = signature.proof ?? {};
    if (!Array.isArray(path) || path.some((h) => typeof h !== 'string')) return 'bad-signature';
    const root = rootFromPath(
      leaf,
      index,
      size,
      path.map((h) => Buffer.from(h, 'hex')),
    );
    const bytes = Buffer.from(signature.value, 'base64url');
    return root && bytes.length === 64 && verify(null, rootMessage(signature.keyId, size, root), key, bytes)
      ? 'valid'
      : 'bad-signature';
  }
}

function toKeyObject(input: ReceiptKeyInput): KeyObject {
  let key: KeyObject;
  try {
    if (typeof input === 'string')
      key = input.includes('PRIVATE KEY') ? createPrivateKey(input) : createPublicKey(input);
    else key = input;
  } catch (err) {
    throw new InvalidArgument(`not a PEM key: ${(err as Error).message}`);
  }
  if (typeof key !== 'object' || key === null || key.asymmetricKeyType !== 'ed25519')
    throw new InvalidArgument('receipt keys must be Ed25519 keys (KeyObject or PEM)');
  return key;
}
