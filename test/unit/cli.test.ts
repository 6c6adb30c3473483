import { describe, expect, it } from 'vitest';
import { runCli } from '../../adapters/cli/run.js';
import { checkCode } from '../../adapters/cli/check.js';

function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, '9.9.9');
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('yibao-guard CLI', () => {
  it('checks a resident ID and shows it masked only', () => {
    const result = run('check', '11010519491231002X');
    expect(result.code).toBe(0);
    expect(result.out).toContain('1101**********002X');
    expect(result.out).toContain('valid');
    expect(result.out).not.toContain('11010519491231002X');
  });

  it('reports a mistyped resident ID with exit code 1 and without echoing it', () => {
    const result = run('check', '110105194912310021');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/校验|check/);
    expect(result.err).not.toContain('110105194912310021');
  });

  it('recognises each kind of code by its shape', () => {
    expect(checkCode('81234560000000000017')).toMatchObject({ kind: 'trace-code', ok: true });
    expect(checkCode('6901234567892')).toMatchObject({ kind: 'gtin', ok: true });
    expect(checkCode('6901234567893')).toMatchObject({ kind: 'gtin', ok: false });
    expect(checkCode('220100')).toMatchObject({ kind: 'area-code', ok: true });
    expect(checkCode('990100')).toMatchObject({ kind: 'area-code', ok: false });
    expect(checkCode('XA10BAE070A001010100005')).toMatchObject({ kind: 'med-list-code', ok: true });
    expect(checkCode('hello')).toMatchObject({ kind: 'unknown', ok: false });
  });

  it('exits 2 on usage errors and prints help', () => {
    expect(run('check').code).toBe(2);
    expect(run('frobnicate')).toMatchObject({ code: 2 });
    expect(run('help').out).toContain('yibao-guard check');
    expect(run('--version').out).toBe('9.9.9');
  });

  it('leaves demo, a long-running command, to main.ts (runDemo), as it does sim', () => {
    const result = run('demo');
    expect(result.code).toBe(2);
    expect(result.err).toContain('runDemo');
    expect(run('help').out).toContain('yibao-guard demo');
  });
});
