/*
 * The usage errors of the `yibao-guard` command (exit code 2). The CLI's own catalog, beside src/errors: these are
 * about the command line, not the SDK, and never reach a till. A script that runs the command reads the code in
 * brackets at the start of the error line: codes are stable, never renamed nor reused for another meaning.
 */

/** Every usage error the command prints, by its stable code. */
export const USAGE_ERROR_CODES = {
  /** The first argument names no command. */
  USAGE_UNKNOWN_COMMAND: 'no such command',
  /** An option the command does not declare (`--frobnicate`, `-z`). */
  USAGE_UNKNOWN_OPTION: 'no such option for this command',
  /** An option that takes a value was given none (or an empty one, or the next option in its place). */
  USAGE_MISSING_VALUE: 'an option without its value',
  /** A flag was given a value (`--quiet=yes`). */
  USAGE_UNEXPECTED_VALUE: 'a flag with a value',
  /** A positional argument the command does not take, or one too many. */
  USAGE_UNEXPECTED_ARGUMENT: 'an argument the command does not take',
  /** A value that starts with '-' given as the next argument, where it reads as an option: write `--opt=-value`. */
  USAGE_DASH_VALUE: 'a value starting with a dash, not written --opt=value',
  /** What the command needs is not on the line (a code to check, a file to verify, --db, the period). */
  USAGE_MISSING_ARGUMENT: 'a required argument or option is missing',
  /** A value of the wrong form (a port, a time, a date, a key, a file extension, a table's name). */
  USAGE_BAD_VALUE: 'a value of the wrong form',
  /** Anything else `node:util` `parseArgs` refused, with Node's own message. */
  USAGE_BAD_ARGUMENTS: 'arguments parseArgs refused',
} as const;

/** The stable code of a usage error. */
export type UsageErrorCode = keyof typeof USAGE_ERROR_CODES;

/**
 * A usage error: a stable code and the message in Chinese and English. `detail` (an option's name, a value the user
 * typed) follows both messages; the command prints one line, `[CODE] 中文 / English: detail`, then its usage.
 *
 * @example
 * const error = new CliUsageError('USAGE_UNKNOWN_OPTION', '未知选项', 'unknown option', '--frobnicate')
 * error.line // '[USAGE_UNKNOWN_OPTION] 未知选项 / unknown option: --frobnicate'
 */
export class CliUsageError extends Error {
  readonly code: UsageErrorCode;
  /** The message in Chinese, `detail` included. */
  readonly messageZh: string;

  constructor(
    code: UsageErrorCode,
    readonly zh: string,
    readonly en: string,
    /** What the user typed that is at fault, shown after both messages. */
    readonly detail?: string,
  ) {
    super(detail === undefined ? en : `${en}: ${detail}`);
    this.name = 'CliUsageError';
    this.code = code;
    this.messageZh = detail === undefined ? zh : `${zh}：${detail}`;
  }

  /** The line the command prints: `[CODE] 中文 / English`, with the detail once at the end. */
  get line(): string {
    return `[${this.code}] ${this.zh} / ${this.en}${this.detail === undefined ? '' : `: ${this.detail}`}`;
  }
}

/** `--opt` (or `--opt=`) was given no value. */
export function missingValue(option: string): CliUsageError {
  return new CliUsageError('USAGE_MISSING_VALUE', `${option} 须给出值`, `${option} needs a value`);
}
