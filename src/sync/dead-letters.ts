import { YibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Infno, TransactionInput } from '../platform/transactions.js';
import type { Storage } from '../storage/contract.js';
import type { Outbox } from './outbox.js';
import { deadKey } from './worker.js';
import { noteText } from './worker.js';

/**
 * Resubmits a refused record after the operator corrected it: a NEW outbox record (a new msgid, since the
 * platform has answered the old one and a changed message may not reuse it) written in the same atomic batch
 * that marks the dead letter resolved, naming the new record. Nothing is dropped: the dead letter stays on
 * record with its history.
 *
 * @example
 * await resubmitDeadLetter({ storage, outbox, clock }, 17, { input: corrected, by: 'OP7' })
 */
export async function resubmitDeadLetter<N extends Infno>(
  deps: { readonly storage: Storage<TerminalLayout>; readonly outbox: Outbox; readonly clock: { now(): number } },
  seq: number,
  fix: { readonly infno?: N; readonly input: TransactionInput<N>; readonly by: string; readonly note?: string },
): Promise<{ readonly seq: number; readonly msgid: string }> {
  const current = await deps.storage.get('deadLetters', deadKey(seq));
  if (!current || current.value.resolved) {
    throw new YibaoGuardError('DEAD_LETTER_NOT_FOUND', {
      message: `No open dead letter ${seq}`,
      messageZh: `没有待处理的失败记录 ${seq}`,
      field: 'seq',
    });
  }
  const letter = current.value;
  const infno = (fix.infno ?? letter.record.prepared.infno) as N;
  const now = deps.clock.now();
  // The new record's seq is only known after the write: record the resubmission by msgid, then by seq.
  const result = await deps.outbox.write(
    [
      {
        infno,
        input: fix.input,
        kind: letter.record.kind,
        ref: letter.record.ref,
        ...(letter.record.prepared.insuplcAdmdvs
          ? { options: { insuplcAdmdvs: letter.record.prepared.insuplcAdmdvs } }
          : {}),
      },
    ],
    [
      {
        op: 'put',
        store: 'deadLetters',
        key: deadKey(seq),
        value: {
          ...letter,
          notes: [
            ...letter.notes,
            { at: now, by: fix.by, text: fix.note === undefined ? 'resubmitted' : noteText(fix.note) },
          ],
          resolved: { at: now, by: fix.by, how: 'resubmitted' },
        },
        expect: current.rev,
      },
    ],
  );
  const record = result.records[0]!;
  const after = await deps.storage.get('deadLetters', deadKey(seq));
  if (after?.value.resolved) {
    await deps.storage.write([
      {
        op: 'put',
        store: 'deadLetters',
        key: deadKey(seq),
        value: { ...after.value, resolved: { ...after.value.resolved, newSeq: record.seq } },
        expect: after.rev,
      },
    ]);
  }
  return record;
}
