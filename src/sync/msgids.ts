import type { TerminalLayout } from '../layout.js';
import { buildMsgid } from '../platform/envelope.js';
import { createMsgidSource, type MsgidSource } from '../platform/msgid.js';
import type { Storage } from '../storage.js';

/**
 * The msgid source a terminal should start with after any (re)start: strictly after the last msgid its outbox
 * holds, and after the whole current second (a query sent just before a crash is not in the outbox, and the
 * platform would answer a reused msgid with that query's answer). Every client of one terminal must share it.
 *
 * @example
 * const msgids = await resumeMsgids({ storage, clock, institutionCode: 'P22010100001', terminalDigit: 1 })
 * const platform = createPlatformClient({ …, msgids })
 */
export async function resumeMsgids(options: {
  readonly storage: Storage<TerminalLayout>;
  readonly clock: { now(): number };
  readonly institutionCode: string;
  readonly terminalDigit?: number;
}): Promise<MsgidSource> {
  const digit = options.terminalDigit ?? 0;
  const last = await options.storage.lastSeq('outbox');
  const [entry] = last > 0 ? await options.storage.read('outbox', { after: last - 1, limit: 1 }) : [];
  const thisSecond = buildMsgid(options.institutionCode, options.clock.now(), digit * 1000 + 999);
  const stored = entry?.value.prepared.msgid;
  const after = stored !== undefined && stored.slice(-18) > thisSecond.slice(-18) ? stored : thisSecond;
  return createMsgidSource({ institutionCode: options.institutionCode, terminalDigit: digit, after });
}
