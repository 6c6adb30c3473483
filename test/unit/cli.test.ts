import { describe, expect, it } from 'vitest';
import { CliUsageError, runCli, USAGE_ERROR_CODES, type UsageErrorCode } from '../../adapters/cli/run.js';
import { checkCode } from '../../adapters/cli/check.js';

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const { code, stop } = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, '9.9.9');
  await stop?.();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const COMMANDS = ['sim', 'demo', 'check', 'verify', 'self-audit'] as const;

describe('yibao-guard CLI', () => {
  it('checks a resident ID and shows it masked only', async () => {
    const result = await run('check', '11010519491231002X');
    expect(result.code).toBe(0);
    expect(result.out).toContain('1101**********002X');
    expect(result.out).toContain('valid');
    expect(result.out).not.toContain('11010519491231002X');
  });

  it('reports a mistyped resident ID with exit code 1 and without echoing it', async () => {
    const result = await run('check', '110105194912310021');
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

  it('exits 2 on usage errors and prints help', async () => {
    expect((await run('check')).code).toBe(2);
    expect(await run('frobnicate')).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown command: frobnicate'),
    });
    expect((await run('help')).out).toContain('yibao-guard check');
    expect((await run()).out).toContain('yibao-guard check');
    expect((await run('--version')).out).toBe('9.9.9');
    expect((await run('help')).out).toContain('yibao-guard demo');
  });

  it('prints the usage of every command for --help and -h, with exit code 0', async () => {
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const result = await run(command, flag);
        expect(result, `${command} ${flag}`).toMatchObject({ code: 0, err: '' });
        expect(result.out, `${command} ${flag}`).toContain(`用法 / usage:`);
        expect(result.out, `${command} ${flag}`).toContain(`yibao-guard ${command}`);
      }
    }
    // --help wins over whatever else is on the line, as it always has for verify and self-audit.
    expect(await run('verify', '--frobnicate', '--help')).toMatchObject({ code: 0, err: '' });
  });

  it('refuses an unknown option on every command with exit code 2, naming it in both languages', async () => {
    for (const command of COMMANDS) {
      for (const [arg, named] of [
        ['--frobnicate', '--frobnicate'],
        ['--frobnicate=1', '--frobnicate'],
        ['-z', '-z'],
      ] as const) {
        const result = await run(command, arg);
        expect(result.code, `${command} ${arg}`).toBe(2);
        expect(result.err, `${command} ${arg}`).toContain(`未知选项 / unknown option: ${named}`);
        expect(result.err, `${command} ${arg}`).toContain(`yibao-guard ${command}`);
        expect(result.out, `${command} ${arg}`).toBe('');
      }
    }
  });

  it('refuses an option without its value with exit code 2, naming it', async () => {
    const cases = [
      ['sim', '--port'],
      ['sim', '--now'],
      ['demo', '--port'],
      ['verify', 'T01.jsonl', '--key'],
      ['verify', 'T01.jsonl', '--export'],
      ['self-audit', '--db'],
      ['self-audit', '--db', 'till.sqlite', '--from', '2026-01-01', '--to'],
    ];
    for (const args of cases) {
      const option = args.at(-1) as string;
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err, args.join(' ')).toContain(`${option} 须给出值 / ${option} needs a value`);
    }
    // The next option is not taken for the value.
    const swallowed = await run('sim', '--now', '--quiet');
    expect(swallowed.code).toBe(2);
    expect(swallowed.err).toContain('--now needs a value');
    // An empty value is no value either.
    expect((await run('self-audit', '--db=', '--from', '2026-01-01', '--to', '2026-02-01')).err).toContain(
      '--db needs a value',
    );
  });

  it('refuses a value on a flag, a stray argument and a value that looks like an option, with exit code 2', async () => {
    expect(await run('sim', '--quiet=yes')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--quiet takes no value'),
    });
    expect(await run('demo', '8787')).toMatchObject({
      code: 2,
      err: expect.stringContaining('unexpected argument: 8787'),
    });
    expect(await run('self-audit', 'till.sqlite')).toMatchObject({
      code: 2,
      err: expect.stringContaining('unexpected argument: till.sqlite'),
    });
    const dash = await run('verify', 'T01.jsonl', '--key', '-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(dash.code).toBe(2);
    expect(dash.err).toContain('write it as --key=<value>');
  });

  it('refuses a bad port on sim and demo with exit code 2', async () => {
    for (const command of ['sim', 'demo']) {
      for (const port of ['eighty', '65536', '-1', '']) {
        const result = await run(command, `--port=${port}`);
        expect(result.code, `${command} --port=${port}`).toBe(2);
        expect(result.err, `${command} --port=${port}`).toMatch(/--port/);
      }
    }
  });

  it('runs sim and hands back how to stop it', async () => {
    for (const args of [['--port', '0'], ['--port=0']]) {
      const result = await run('sim', ...args, '--quiet');
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.out, args.join(' ')).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(result.out.split('\n').at(-1), args.join(' ')).toBe('模拟器已停止 / simulator stopped');
    }
  });

  describe('usage errors', () => {
    // One case per way a command line can be wrong: the arguments and the code the first line of stderr starts with.
    const cases: readonly (readonly [UsageErrorCode, readonly string[]])[] = [
      ['USAGE_UNKNOWN_COMMAND', ['frobnicate']],
      ['USAGE_UNKNOWN_OPTION', ['sim', '--frobnicate']],
      ['USAGE_UNKNOWN_OPTION', ['check', '-z', '6901234567892']],
      ['USAGE_MISSING_VALUE', ['sim', '--now']],
      ['USAGE_MISSING_VALUE', ['sim', '--now', '--quiet']],
      ['USAGE_MISSING_VALUE', ['self-audit', '--db=', '--from', '2026-01-01', '--to', '2026-02-01']],
      ['USAGE_MISSING_VALUE', ['verify', 'T01.jsonl', '--export=']],
      ['USAGE_UNEXPECTED_VALUE', ['demo', '--quiet=yes']],
      ['USAGE_UNEXPECTED_ARGUMENT', ['demo', '8787']],
      ['USAGE_UNEXPECTED_ARGUMENT', ['verify', 'a.jsonl', 'b.jsonl']],
      ['USAGE_DASH_VALUE', ['verify', 'T01.jsonl', '--key', '-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']],
      ['USAGE_MISSING_ARGUMENT', ['check']],
      ['USAGE_MISSING_ARGUMENT', ['verify']],
      ['USAGE_MISSING_ARGUMENT', ['self-audit', '--db', 'till.sqlite', '--from', '2026-01-01']],
      ['USAGE_BAD_VALUE', ['sim', '--port', '65536']],
      ['USAGE_BAD_VALUE', ['demo', '--port=eighty']],
      ['USAGE_BAD_VALUE', ['sim', '--port', '0', '--now', '2026-02-30 10:00:00']],
      ['USAGE_BAD_VALUE', ['verify', 'T01.jsonl', '--key', 'short']],
      ['USAGE_BAD_VALUE', ['self-audit', '--db', 'till.sqlite', '--from', '2026-1-1', '--to', '2026-02-01']],
      [
        'USAGE_BAD_VALUE',
        ['self-audit', '--db', 'till.sqlite', '--from', '2026-01-01', '--to', '2026-02-01', '--table', 'x'],
      ],
    ];

    it('start with a stable code, then the message in Chinese and English, then the usage; exit code 2', async () => {
      for (const [code, args] of cases) {
        const result = await run(...args);
        const [line = '', blank, ...usage] = result.err.split('\n');
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.out, args.join(' ')).toBe('');
        expect(line, args.join(' ')).toMatch(
          new RegExp(`^\\[${code}\\] .*\\p{Script=Han}.* / [^\\p{Script=Han}]+$`, 'u'),
        );
        expect(blank, args.join(' ')).toBe('');
        expect(usage.join('\n'), args.join(' ')).toContain('用法 / usage:');
      }
    });

    it('use every code of the CLI catalog but the fallback for what parseArgs alone refuses', () => {
      const used = new Set(cases.map(([code]) => code));
      expect([...used].sort()).toEqual(
        Object.keys(USAGE_ERROR_CODES)
          .filter((code) => code !== 'USAGE_BAD_ARGUMENTS')
          .sort(),
      );
    });

    it('are typed errors with the message in both languages and the detail after each', () => {
      const error = new CliUsageError('USAGE_UNKNOWN_OPTION', '未知选项', 'unknown option', '--frobnicate');
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name: 'CliUsageError',
        code: 'USAGE_UNKNOWN_OPTION',
        message: 'unknown option: --frobnicate',
        messageZh: '未知选项：--frobnicate',
      });
      expect(error.line).toBe('[USAGE_UNKNOWN_OPTION] 未知选项 / unknown option: --frobnicate');
      const bare = new CliUsageError('USAGE_UNEXPECTED_VALUE', '--quiet 不带值', '--quiet takes no value');
      expect(bare).toMatchObject({ message: '--quiet takes no value', messageZh: '--quiet 不带值' });
      expect(bare.line).toBe('[USAGE_UNEXPECTED_VALUE] --quiet 不带值 / --quiet takes no value');
    });
  });
});
