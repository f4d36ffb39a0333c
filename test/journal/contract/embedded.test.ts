import { open } from '../../../src/index.js';
import { tempDir } from '../../helpers.js';
import { defineConsumerConformance, defineJournalConformance } from './conformance.js';

const embedded = {
  name: 'the embedded journal',
  open: async (options?: { receiptKeys?: string[] }) => open(tempDir(), options).async,
};
defineJournalConformance(embedded);
defineConsumerConformance(embedded);
