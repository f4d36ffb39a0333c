import { defineConformance } from './conformance.js';
import { postgresKind } from './databases.js';

await defineConformance(postgresKind);
