import { spawn } from 'node:child_process';
import { createPostgres } from '../outbox/own-servers.js';

const server = await createPostgres();
const proc = spawn(
  process.execPath,
  ['--import', 'tsx', 'test/fixtures/outbox-producer.ts', server.url, 'dbgp', '400'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const lines: string[] = [];
let part = '';
proc.stdout.on('data', (b) => {
  const ps = (part + b).split('\n');
  part = ps.pop()!;
  lines.push(...ps);
});
const sent = () => lines.filter((l) => l.startsWith('SENT')).length;
while (sent() < 100) await new Promise((r) => setTimeout(r, 20));
console.log('sent', sent());
await server.restart();
const t = Date.now();
while (sent() < 150 && Date.now() - t < 15000) await new Promise((r) => setTimeout(r, 20));
console.log('after restart sent', sent(), 'in', Date.now() - t, 'ms; last lines', lines.slice(-5));
proc.kill('SIGKILL');
await server.remove();
