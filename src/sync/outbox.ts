import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { CallOptions, PlatformClient, PreparedCall } from '../platform/client.js';
import type { Infno, TransactionInput } from '../platform/transactions.js';
import type { Storage, WriteOp, WriteReceipt } from '../storage/contract.js';
import type { OutboxKind, OutboxRecord } from './types.js';

/** One record to put in the outbox, with the business fact it reports written in the same batch. */
export interface OutboxEntry<N extends Infno = Infno> {
  readonly infno: N;
  readonly input: TransactionInput<N>;
  readonly kind?: OutboxKind;
  readonly ref: string;
  readonly options?: CallOptions;
  /**
   * Personal fields for the input node (e.g. 3505 `selinfo.certno`, `psn_name`), NOT in `input`: kept apart in
   * `outboxPii`, merged in when the record is sent, and deleted once the platform has acknowledged it, so the
   * journal never holds them.
   */
  readonly pii?: { readonly node: string; readonly fields: Readonly<Record<string, unknown>> };
}

/** What a write put in the outbox: each record's journal number and msgid, in order. */
export interface OutboxWriteResult {
  readonly records: readonly { readonly seq: number; readonly msgid: string }[];
  readonly receipts: readonly WriteReceipt[];
}

/**
 * The durable outbox. `write()` prepares each record (validating it and fixing its msgid) and writes it in ONE
 * atomic batch with the business facts the caller passes, so a sale and its 3505 report exist together or not
 * at all. Writes are serialised so that journal order is msgid order (the platform refuses a terminal's 35xx
 * records out of msgid order).
 *
 * @example
 * await outbox.write([{ infno: '3505', input, ref: saleId }], [{ op: 'put', store: 'sales', key: saleId, value: sale
 * }])
 */
export interface Outbox {
  write(entries: readonly OutboxEntry[], facts?: readonly WriteOp<TerminalLayout>[]): Promise<OutboxWriteResult>;
  /**
   * The outbox's part of a batch: the ops that put `entries` in the outbox (each record prepared, its msgid fixed
   * now; bad input throws here, before any write), and, once the batch is written, the records it made. Nothing
   * is written: the caller writes `ops` in one atomic batch with the facts they report. Prepare and write inside
   * {@link Outbox.exclusive}, so that journal order is msgid order.
   *
   * @example
   * const result = await outbox.exclusive(async () => {
   *   const part = outbox.prepare([{ infno: '3505', input, ref: saleId }])
   *   const receipts = await storage.write([...facts, ...part.ops])
   *   return part.records(receipts.slice(facts.length))
   * })
   */
  prepare(entries: readonly OutboxEntry[]): {
    readonly ops: readonly WriteOp<TerminalLayout>[];
    /** The records written, from the receipts of `ops` (in their order). */
    records(receipts: readonly WriteReceipt[]): OutboxWriteResult['records'];
  };
  /** Runs `task` with the outbox to itself: no other write of this outbox prepares or writes until it is done. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** The msgid of the last record ever written (to resume the msgid source after a restart). */
  lastMsgid(): Promise<string | undefined>;
}

export function createOutbox(options: {
  readonly storage: Storage<TerminalLayout>;
  readonly platform: Pick<PlatformClient, 'prepare'>;
  readonly clock: { now(): number };
}): Outbox {
  const { storage, platform, clock } = options;
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task, task);
    queue = result.catch(() => undefined);
    return result;
  };
  const prepare: Outbox['prepare'] = (entries) => {
    const ops: WriteOp<TerminalLayout>[] = [];
    const msgids: string[] = [];
    const at: number[] = [];
    const now = clock.now();
    for (const entry of entries) {
      // Prepare validates and encodes the input and fixes the msgid: bad input throws here, before any write.
      const prepared = platform.prepare(entry.infno, entry.input as never, entry.options);
      msgids.push(prepared.msgid);
      const record: OutboxRecord = {
        kind: entry.kind ?? 'report',
        prepared: prepared as PreparedCall,
        createdAt: now,
        ref: entry.ref,
        ...(entry.pii ? { pii: { node: entry.pii.node } } : {}),
      };
      at.push(ops.length);
      ops.push({ op: 'append', journal: 'outbox', value: record });
      if (entry.pii)
        ops.push({ op: 'put', store: 'outboxPii', key: prepared.msgid, value: entry.pii.fields, expect: null });
    }
    const records = (receipts: readonly WriteReceipt[]) =>
      at.map((index, i) => {
        const receipt = receipts[index];
        return { seq: receipt?.op === 'append' ? receipt.seq : 0, msgid: msgids[i]! };
      });
    return { ops, records };
  };
  return {
    write: (entries, facts = []) =>
      exclusive(async () => {
        const part = prepare(entries);
        const receipts = await storage.write([...facts, ...part.ops]);
        return { records: part.records(receipts.slice(facts.length)), receipts };
      }),
    prepare,
    exclusive,
    async lastMsgid() {
      const last = await storage.lastSeq('outbox');
      if (last === 0) return undefined;
      const [entry] = await storage.read('outbox', { after: last - 1, limit: 1 });
      return entry?.value.prepared.msgid;
    },
  };
}
