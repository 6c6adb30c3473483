/*
 * Reading request bodies for the node:http services (the platform simulator, the demo terminal, the HIS hook
 * service): one place for the size limit and the deadline, so none buffers more than it will accept or waits on a
 * client that sends a byte now and then.
 */
import type { IncomingMessage } from 'node:http';

/** A body over the limit: declared too large, or grown too large while streaming. */
export class BodyTooLarge extends Error {}

/** A body that did not arrive whole before its deadline (a slow or stalled client). */
export class BodyTimedOut extends Error {}

/** The connection closed before the body was whole: nobody is left to answer. */
export class BodyAborted extends Error {}

/** Limits of {@link readBody}. */
export interface ReadBodyOptions {
  /** Largest body accepted, in bytes. */
  readonly limit: number;
  /** How long the whole body may take to arrive, in ms from the call; none when absent. */
  readonly timeoutMs?: number;
}

/**
 * Reads a body up to `limit` bytes as UTF-8; refuses more without buffering it (`BodyTooLarge`), and gives up on a
 * body that has not arrived whole within `timeoutMs` (`BodyTimedOut`); a connection closed first is `BodyAborted`. The
 * caller answers and closes the connection.
 *
 * @example
 * const text = await readBody(req, { limit: 64 * 1024, timeoutMs: 10_000 })
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<string> {
  const { limit, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error === undefined) resolve(Buffer.concat(chunks).toString('utf8'));
      else {
        // What else comes is read and dropped, so the answer can still go out.
        req.resume();
        reject(error);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new BodyTooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new BodyAborted());
    const onClose = () => finish(new BodyAborted());
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    if (req.readableEnded) {
      resolve('');
      return;
    }
    if (timeoutMs !== undefined) timer = setTimeout(() => finish(new BodyTimedOut()), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
