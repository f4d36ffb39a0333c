import { defineConformance } from './conformance.js';
import { mysqlKind } from './databases.js';

await defineConformance(mysqlKind);
