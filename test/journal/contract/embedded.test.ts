import { open } from '../../../src/index.js';
import { tempDir } from '../../helpers.js';
import { defineConsumerConformance, defineJournalConformance } from './conformance.js';

defineJournalConformance({
  name: 'the embedded journal',
  open: async (options?: { receiptKeys?: string[] }) => open(tempDir(), options).async,
});
defineConsumerConformance({
  name: 'the embedded journal',
  open: async (options) => {
    const dir = tempDir();
    return { journal: open(dir, options).async, reopen: async () => open(dir, options).async };
  },
});
