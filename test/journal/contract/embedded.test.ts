import { open } from '../../../src/index.js';
import { tempDir } from '../../helpers.js';
import { defineJournalConformance } from './conformance.js';

defineJournalConformance({
  name: 'the embedded journal',
  open: async (options) => open(tempDir(), options).async,
});
