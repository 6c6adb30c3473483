/**
 * How the sync worker groups the outbox into YG07 batches, without HTTP: a fake platform records what it was sent.
 * Consecutive reports go together up to `batch`; any other record goes alone and splits the run; `batch: 1` and a
 * platform without `sendReports` send one record per request; the cursor moves only past answered records.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES } from '../../../src/index.js';
import { PlatformUnavailableError } from '../../../src/errors/index.js';
import type { PlatformClient, PreparedCall, ReportAnswer } from '../../../src/platform/index.js';
import { createSyncWorker, type OutboxRecord } from '../../../src/engine.js';

const clock = { now: () => Date.UTC(2026, 10, 23, 2, 0) };

function record(i: number, kind: OutboxRecord['kind'] = 'report'): OutboxRecord {
  const infno = kind === 'report' ? '3505' : 'YG01';
  const prepared = {
    infno,
    msgid: `P22010100001202611231000${String(i).padStart(6, '0')}`,
    infTime: clock.now(),
    input: {},
  } as unknown as PreparedCall;
  return { kind, prepared, createdAt: clock.now(), ref: `R-${i}` };
}

async function setup(
  kinds: OutboxRecord['kind'][],
  platform: (log: string[][]) => Parameters<typeof createSyncWorker>[0]['platform'],
  batch?: number,
) {
  const storage = createMemoryStorage({ names: TERMINAL_NAMES });
  await storage.write(
    kinds.map((kind, i) => ({ op: 'append' as const, journal: 'outbox' as const, value: record(i + 1, kind) })),
  );
  const log: string[][] = [];
  const worker = createSyncWorker({
    storage,
    platform: platform(log),
    clock,
    owner: 'tab',
    sleep: async () => undefined,
    ...(batch ? { batch } : {}),
  });
  return { storage, worker, log };
}

const refs = (records: readonly PreparedCall[]) => records.map((r) => r.msgid.slice(-2));
const accepting = (log: string[][]): Pick<PlatformClient, 'send' | 'sendReports'> => ({
  send: (async (p: PreparedCall) => {
    log.push(['send', p.msgid.slice(-2)]);
    return { retRslt: '1' };
  }) as PlatformClient['send'],
  sendReports: async (records) => {
    log.push(['batch', ...refs(records)]);
    return records.map((r) => ({ msgid: r.msgid, output: { retRslt: '1' } }));
  },
});

describe('sync worker batching', () => {
  it('sends runs of reports together, at most `batch` at a time, and anything else alone', async () => {
    const kinds: OutboxRecord['kind'][] = [
      'report',
      'report',
      'report',
      'invoice',
      'report',
      'report',
      'report',
      'report',
      'report',
    ];
    const { worker, log } = await setup(kinds, accepting, 3);
    expect(await worker.drain()).toMatchObject({ delivered: 9, stoppedBy: 'empty' });
    expect(log).toEqual([
      ['batch', '01', '02', '03'],
      ['send', '04'],
      ['batch', '05', '06', '07'],
      ['batch', '08', '09'],
    ]);
  });

  it('sends one record per request with batch: 1 or a platform without sendReports', async () => {
    const one = await setup(['report', 'report'], accepting, 1);
    await one.worker.drain();
    expect(one.log).toEqual([
      ['send', '01'],
      ['send', '02'],
    ]);
    const plain = await setup(['report', 'report'], (log) => ({ send: accepting(log).send }));
    await plain.worker.drain();
    expect(plain.log).toEqual([
      ['send', '01'],
      ['send', '02'],
    ]);
  });

  it('counts nothing of a batch that failed, then resends the same records', async () => {
    let fail = true;
    const { worker, log, storage } = await setup(['report', 'report', 'report'], (l) => ({
      send: accepting(l).send,
      sendReports: async (records): Promise<readonly ReportAnswer[]> => {
        l.push(['batch', ...refs(records)]);
        if (fail) {
          fail = false;
          throw new PlatformUnavailableError({ infno: 'YG07', msgid: records[0]!.msgid }, { outcomeUnknown: true });
        }
        return records.map((r) => ({ msgid: r.msgid, output: { retRslt: '1' } }));
      },
    }));
    expect(await worker.drain()).toMatchObject({
      delivered: 0,
      stoppedBy: 'transient-failure',
      error: { code: 'PLATFORM_OUTCOME_UNKNOWN' },
    });
    expect((await storage.get('meta', 'outbox.cursor'))?.value).toBeUndefined();
    expect(await worker.drain()).toMatchObject({ delivered: 3, stoppedBy: 'empty' });
    expect(log).toEqual([
      ['batch', '01', '02', '03'],
      ['batch', '01', '02', '03'],
    ]);
  });
});
