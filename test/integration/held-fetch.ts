/**
 * A `fetch` for a client of an in-process simulator that makes the simulator's `timeout` fault deterministic.
 *
 * The fault holds a request without an answer "until the client gives up". Left to a real deadline, that is a
 * wall-clock wait; and a deadline short enough to keep a test quick is one that a loaded machine also misses on the
 * calls that were not faulted at all (the fault matrix lost whole operations to set-up calls — 9001, YG03, 1101 —
 * timing out at 300 ms under load). With this fetch the client keeps a normal deadline, and a request the simulator
 * holds ends as soon as the simulator has recorded holding it, the way ky ends a call at its deadline: the request
 * is aborted and the call rejects with ky's `TimeoutError` (so ky's timeout retry and the transport's "no answer
 * within N ms" are the paths taken). Every other request goes through untouched.
 *
 * @example
 * createPlatformClient({ ...options, timeoutMs: 10_000, fetch: heldEndsAtDeadline(simulator) })
 */
import { TimeoutError } from 'ky';
import type { PlatformFetch } from '../../src/platform/index.js';

/** What the helper reads of a simulator: its request log (an entry per request, `fault: 'timeout'` when held). */
export interface HeldLog {
  received(): readonly { readonly msgid: string | null; readonly fault?: string; readonly batch?: string }[];
}

/**
 * How often the simulator's log is looked at while a request is in flight. Not a deadline: only how soon it is seen.
 */
const POLL_MS = 5;

export function heldEndsAtDeadline(
  simulator: HeldLog,
  send: PlatformFetch = (input, init) => globalThis.fetch(input, init),
): PlatformFetch {
  // The simulator logs a held YG07 batch once for the batch and once per message (with `batch` set): count the first.
  const held = (msgid: string) =>
    simulator.received().filter((r) => r.msgid === msgid && r.fault === 'timeout' && r.batch === undefined).length;
  return async (input, init) => {
    const request = new Request(input, init);
    let msgid: unknown;
    try {
      msgid = (JSON.parse(await request.clone().text()) as { msgid?: unknown }).msgid;
    } catch {
      // Not an envelope: nothing the simulator would hold by msgid.
    }
    if (typeof msgid !== 'string') return send(request);
    const before = held(msgid);
    const abort = new AbortController();
    const answer = send(request, { signal: AbortSignal.any([request.signal, abort.signal]) });
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const poll = () => {
        if (settled) return;
        if (held(msgid) > before) {
          settled = true;
          abort.abort();
          reject(new TimeoutError(request));
          return;
        }
        setTimeout(poll, POLL_MS);
      };
      answer.then(
        (response) => {
          settled = true;
          resolve(response);
        },
        (error: unknown) => {
          settled = true;
          reject(error);
        },
      );
      poll();
    });
  };
}
