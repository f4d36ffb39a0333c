import { describe, expect, it } from 'vitest';
import { checkNode } from '../../src/cli/doctor/checks.js';
import { satisfiesRange } from '../../src/cli/node-range.js';

describe('the engines.node range doctor checks', () => {
  it('reads lower and upper bounds, with partial versions as npm reads them', () => {
    const range = '>=20.19.0 <25';
    expect(satisfiesRange('20.19.0', range)).toBe(true);
    expect(satisfiesRange('v24.9.3', range)).toBe(true);
    expect(satisfiesRange('20.18.9', range)).toBe(false);
    expect(satisfiesRange('25.0.0', range)).toBe(false);
    expect(satisfiesRange('22.1.9', '<=22.1')).toBe(true);
    expect(satisfiesRange('22.2.0', '<=22.1')).toBe(false);
    expect(satisfiesRange('20.5.0', '>20')).toBe(false);
    expect(satisfiesRange('21.0.0', '>20')).toBe(true);
    expect(satisfiesRange('20.3.1', '20')).toBe(true);
    expect(satisfiesRange('21.0.0-pre', '>=20.15')).toBe(true);
  });

  it('takes alternatives, and says it cannot tell rather than guess', () => {
    expect(satisfiesRange('18.20.0', '^18.20 || >=20')).toBeUndefined();
    expect(satisfiesRange('18.20.0', '>=18.20 <19 || >=20')).toBe(true);
    expect(satisfiesRange('19.0.0', '>=18.20 <19 || >=20')).toBe(false);
    expect(satisfiesRange('20.1.0', '20.x')).toBeUndefined();
    expect(satisfiesRange('20.1.0', '')).toBeUndefined();
  });
});

describe('the doctor node check', () => {
  it('fails a Node.js outside the range and says which to run', () => {
    expect(checkNode('>=20.19.0 <25', '18.20.4')).toEqual({
      name: 'node',
      status: 'fail',
      text: 'Node.js 18.20.4 is outside engines.node >=20.19.0 <25',
      fix: 'run Causeway on a Node.js in >=20.19.0 <25',
    });
    expect(checkNode('>=20.19.0 <25', '22.3.0').status).toBe('ok');
    expect(checkNode('^20.19', '22.3.0').status).toBe('info');
    expect(checkNode(undefined, '22.3.0').status).toBe('info');
  });
});
