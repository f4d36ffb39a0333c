import { defineConformance } from './conformance.js';
import { sqliteKind } from './databases.js';

await defineConformance(sqliteKind);
