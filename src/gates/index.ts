export { validateBypass } from './bypass.js';
export { MAX_EXTENSION_BYTES } from './extensions.js';
export { deny, gate, permit } from './gate.js';
export { GATE_DEFECT, GateSet, gateSet } from './gate-set.js';
export { GuardReceipt } from './guard-receipt.js';
export { generateReceiptKey, keyIdOf, ReceiptKeyring } from './keys.js';
export type * from './types.js';
export { verifyReceiptStandalone } from './verify-receipt.js';
