import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError, missingValue } from './usage-error.js';

/*
 * What every `yibao-guard` command shares about its arguments: `node:util` `parseArgs` in strict mode, `--help` / `-h`
 * printing the command's usage (exit 0), and a usage error (exit 2, a {@link CliUsageError} with a stable code) that
 * names the option in Chinese and English, followed by the usage text.
 */

/** Where the CLI writes; injected so tests read what a user would see. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** The options a command declares, as `parseArgs` takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type Config<O extends CommandOptions, P extends boolean> = {
  args: string[];
  options: O & typeof HELP_OPTION;
  strict: true;
  allowPositionals: P;
};

/** The typed values and positionals of a command whose arguments parsed. */
export type ParsedCommand<O extends CommandOptions, P extends boolean> = ReturnType<typeof parseArgs<Config<O, P>>>;

/** What a command's arguments are and how it is used. */
export interface CommandSpec<O extends CommandOptions, P extends boolean> {
  /** Printed for `--help` (to stdout) and after a usage error (to stderr). */
  readonly usage: string;
  readonly options: O;
  /** Whether the command takes positional arguments (files, codes). @default false */
  readonly positionals?: P;
}

/** Prints a usage error, its line (code and both messages) then the command's usage, and gives exit code 2. */
export function usageError(io: CliIo, usage: string, error: CliUsageError): { code: 2 } {
  io.err(`${error.line}\n\n${usage}`);
  return { code: 2 };
}

/** `--port N` and `--quiet`, which `sim` and `demo` share. */
export const SERVE_OPTIONS = {
  port: { type: 'string', default: '8787' },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const;

/** The usage lines of {@link SERVE_OPTIONS}. */
export const SERVE_USAGE = `  --port      监听 127.0.0.1 的端口，0 为任一空闲端口 / the port on 127.0.0.1; 0 picks a free one
  --quiet, -q 不逐条打印平台请求 / do not print a line per platform request`;

/** A TCP port from `--port` (0 = any free one), or undefined when it is not an integer 0–65535. */
export function parsePort(value: string): number | undefined {
  return /^\d{1,5}$/.test(value) && Number(value) <= 65_535 ? Number(value) : undefined;
}

/** The usage error for a port `parsePort` refused. */
export function badPort(): CliUsageError {
  return new CliUsageError('USAGE_BAD_VALUE', '端口须为 0–65535 的整数', '--port takes an integer 0–65535');
}

/**
 * Why strict parsing refuses `args`, in both languages and naming the option; undefined when it would not. Read from
 * the tokens of a lenient parse, so the message does not depend on the wording of Node's own errors.
 */
function refusal(args: string[], options: CommandOptions, positionals: boolean): CliUsageError | undefined {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const shorts = new Set(Object.values(options).flatMap((o) => (o.short === undefined ? [] : [`-${o.short}`])));
  const declared = (arg: string) =>
    arg.startsWith('--') ? Object.hasOwn(options, arg.slice(2).split('=')[0] as string) : shorts.has(arg);
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (!positionals)
        return new CliUsageError('USAGE_UNEXPECTED_ARGUMENT', '多余的参数', 'unexpected argument', token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined)
      return new CliUsageError('USAGE_UNKNOWN_OPTION', '未知选项', 'unknown option', token.rawName);
    if (option.type === 'boolean') {
      if (token.value !== undefined) {
        return new CliUsageError(
          'USAGE_UNEXPECTED_VALUE',
          `${token.rawName} 不带值`,
          `${token.rawName} takes no value`,
        );
      }
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && declared(token.value))) {
      return missingValue(token.rawName);
    }
    if (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-')) {
      const name = token.rawName;
      const zh = `${name} 的值以“-”开头：请写成 ${name}=<值>`;
      return new CliUsageError('USAGE_DASH_VALUE', zh, `${name}'s value starts with '-': write it as ${name}=<value>`);
    }
  }
  return undefined;
}

/**
 * Parses a command's arguments with `parseArgs` (strict). `--help` / `-h` anywhere before `--` prints the usage and
 * gives `{ code: 0 }`; an unknown option, a missing value, a value on a flag or an unexpected positional prints a
 * usage error and gives `{ code: 2 }`. Otherwise the typed values and positionals.
 *
 * @example
 * const parsed = parseCommand(args, io, { usage: SIM_USAGE, options: { ...SERVE_OPTIONS, now: { type: 'string' } } })
 * if ('code' in parsed) return parsed
 * parsed.values.now // string | undefined
 */
export function parseCommand<const O extends CommandOptions, P extends boolean = false>(
  args: readonly string[],
  io: CliIo,
  spec: CommandSpec<O, P>,
): ParsedCommand<O, P> | { code: 0 | 2 } {
  const options = { ...spec.options, ...HELP_OPTION };
  const positionals = (spec.positionals ?? false) as P;
  const list = [...args];
  const { values } = parseArgs({ args: list, options, strict: false, allowPositionals: true });
  if (values.help === true) {
    io.out(spec.usage);
    return { code: 0 };
  }
  const refused = refusal(list, options, positionals);
  if (refused !== undefined) return usageError(io, spec.usage, refused);
  try {
    return parseArgs<Config<O, P>>({ args: list, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    // Anything the tokens above did not foresee: Node's own message, still a usage error.
    return usageError(
      io,
      spec.usage,
      new CliUsageError('USAGE_BAD_ARGUMENTS', '参数有误', 'bad arguments', (error as Error).message),
    );
  }
}
