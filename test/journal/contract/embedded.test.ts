import { open } from '../../../src/index.js';
import { tempDir } from '../../helpers.js';
import { defineConsumerConformance, defineJournalConformance } from './conformance.js';

defineJournalConformance({
  name: 'the embedded journal',
  open: async (options?: { receiptKeys?: string[] }) => open(tempDir(), options).async,
});
defineConsumerConformance({
  name: 'the embedded journal',
  open: async () => {
    const dir = tempDir();
    return { journal: open(dir).async, reopen: async () => open(dir).async };
  },
});
