import { InputError } from '../errors/index.js';
import { buildMsgid } from './envelope.js';
import { parseCstTime } from './time.js';

/*
 * Where `msgid`s come from. The platform treats a repeated msgid as the same message (it answers with its
 * first answer), so a msgid reused by mistake silently turns a new sale into an old one. Two rules keep that
 * from happening: terminals of one pharmacy own disjoint sequence ranges (the thousands digit), and one
 * terminal never issues the same (second, counter) pair twice, whatever its clock does.
 */

/**
 * Issues the `msgid` of each request. Implement it to keep msgids elsewhere (a counter in the till's
 * database, say); {@link createMsgidSource} is the usual one.
 *
 * @example
 * const msgids: MsgidSource = { next: (nowMs) => buildMsgid('P22010100001', nowMs, counter.take()) }
 */
export interface MsgidSource {
  /** The next msgid, for a request sent at `nowMs` (epoch ms from the injected clock). */
  next(nowMs: number): string;
}

/**
 * How a {@link createMsgidSource} numbers its msgids.
 *
 * @example
 * // A terminal with storage should use resumeMsgids (it reserves a start no earlier process used):
 * const options: MsgidSourceOptions = { institutionCode: 'P22010100001', terminalDigit: 2, after: lastIssued }
 */
export interface MsgidSourceOptions {
  /** The pharmacy's `fixmedins_code`: the msgid's first part (1–12 letters and digits). */
  readonly institutionCode: string;
  /**
   * This terminal's digit, 0–9: the thousands digit of the 4-digit sequence, so up to ten terminals of one
   * pharmacy never collide. Give every terminal of one institution its own digit.
   * @default 0
   */
  readonly terminalDigit?: number;
  /**
   * The last msgid this terminal issued before a restart (kept by the caller, e.g. in its outbox): the source
   * resumes strictly after it, so a clock that was ahead before the restart cannot make it repeat one.
   */
  readonly after?: string;
}

const PER_SECOND = 1000;

function invalid(message: string, messageZh: string, field: string): InputError {
  return new InputError('INVALID_INPUT', { message, messageZh, field });
}

/**
 * A msgid source for one terminal: `fixmedins_code` + `yyyyMMddHHmmss` (CST) + a 4-digit sequence whose
 * thousands digit is the terminal's and whose last three digits count 0–999 within one second. When a second's
 * 1000 numbers are used up it borrows the next second's stamp, and when the clock goes backwards it keeps
 * counting from where it was: msgids never repeat and never decrease.
 *
 * @example
 * const msgids = createMsgidSource({ institutionCode: 'P22010100001', terminalDigit: 3 })
 * msgids.next(clock.now()) // 'P22010100001' + '20261123100509' + '3000'
 */
export function createMsgidSource(options: MsgidSourceOptions): MsgidSource {
  const code = options.institutionCode;
  const digit = options.terminalDigit ?? 0;
  if (typeof code !== 'string' || !/^[A-Za-z0-9]{1,12}$/.test(code)) {
    throw invalid(
      'A msgid starts with the institution code: 1–12 letters and digits',
      'msgid 以定点机构编码开头，须为 1–12 位字母或数字',
      'institutionCode',
    );
  }
  if (!Number.isInteger(digit) || digit < 0 || digit > 9) {
    throw invalid('terminalDigit must be an integer 0–9', 'terminalDigit 必须是 0–9 的整数', 'terminalDigit');
  }

  // The last (second, counter) issued; undefined before the first msgid.
  let last: { second: number; counter: number } | undefined =
    options.after === undefined ? undefined : resumePoint(options.after, code, digit);

  return {
    next(nowMs: number): string {
      if (!Number.isFinite(nowMs))
        throw invalid('The clock gave a time that is not a number', '时钟返回的时间无效', 'nowMs');
      const second = Math.floor(nowMs / 1000);
      if (last === undefined || second > last.second) last = { second, counter: 0 };
      else if (last.counter < PER_SECOND - 1) last = { second: last.second, counter: last.counter + 1 };
      else last = { second: last.second + 1, counter: 0 };
      return buildMsgid(code, last.second * 1000, digit * PER_SECOND + last.counter);
    },
  };
}

function resumePoint(after: string, code: string, digit: number): { second: number; counter: number } {
  const match =
    typeof after === 'string'
      ? /^([A-Za-z0-9]{1,12})(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{3})$/.exec(after)
      : null;
  const [, prefix, y, mo, d, h, mi, s, terminal, counter] = match ?? [];
  const epoch = match ? parseCstTime(`${y}-${mo}-${d} ${h}:${mi}:${s}`) : undefined;
  if (epoch === undefined || prefix !== code || Number(terminal) !== digit) {
    throw invalid(
      'after must be a msgid this terminal issued (same institution code and terminal digit)',
      'after 必须是本终端签发的 msgid（机构编码与终端位一致）',
      'after',
    );
  }
  return { second: epoch / 1000, counter: Number(counter) };
}
