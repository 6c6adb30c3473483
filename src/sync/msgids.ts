import type { TerminalLayout } from '../storage/terminal-layout.js';
import { buildMsgid } from '../platform/envelope.js';
import { createMsgidSource, type MsgidSource } from '../platform/msgid.js';
import { parseCstTime } from '../platform/time.js';
import type { Storage } from '../storage/contract.js';

const FLOOR = 'msgid.floor';

/** The second (epoch seconds) of a msgid's time part. */
function secondOf(msgid: string): number {
  const t = msgid.slice(-18, -4);
  const epoch = parseCstTime(
    `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`,
  );
  return epoch === undefined ? 0 : epoch / 1000;
}

/**
 * The msgid source a terminal must start with after any (re)start. Queries and sign-ins take msgids that no
 * outbox records, so a process killed a moment after one may have used msgids beyond the last stored one, and
 * the platform answers a reused msgid with its first answer (or refuses it). So each start reserves, in storage,
 * a starting second strictly after every earlier start's, after the outbox's last msgid and after now, and issues
 * msgids from there: no two starts of one terminal can overlap, however fast they follow each other. (A terminal
 * issuing more than 1000 msgids a second borrows seconds ahead of its clock; a restart within that lead could
 * still meet one: a till does not.) Every client of one terminal must share the source.
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
  const { storage } = options;
  const digit = options.terminalDigit ?? 0;
  for (let attempt = 0; ; attempt++) {
    const floorRecord = await storage.get('meta', FLOOR);
    const previous = (floorRecord?.value as { second?: number } | undefined)?.second ?? 0;
    const last = await storage.lastSeq('outbox');
    const [entry] = last > 0 ? await storage.read('outbox', { after: last - 1, limit: 1 }) : [];
    const stored = entry ? secondOf(entry.value.prepared.msgid) : 0;
    const floor = Math.max(previous, stored, Math.floor(options.clock.now() / 1000)) + 1;
    try {
      await storage.write([
        { op: 'put', store: 'meta', key: FLOOR, value: { second: floor }, expect: floorRecord?.rev ?? null },
      ]);
    } catch (error) {
      // Another start of the same terminal reserved at the same moment: reserve after it.
      if (attempt < 5 && (error as { code?: string }).code === 'STORAGE_CONFLICT') continue;
      throw error;
    }
    const after = buildMsgid(options.institutionCode, (floor - 1) * 1000, digit * 1000 + 999);
    return createMsgidSource({ institutionCode: options.institutionCode, terminalDigit: digit, after });
  }
}
