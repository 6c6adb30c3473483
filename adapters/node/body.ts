/*
 * Reading request bodies for the node:http services (the platform simulator, the HIS hook service): one place for
 * the size limit, so neither buffers more than it will accept.
 */
import type { IncomingMessage } from 'node:http';

/** A body over the limit: declared too large, or grown too large while streaming. */
export class BodyTooLarge extends Error {}

/**
 * Reads a body up to `limit` bytes as UTF-8; refuses more without buffering it (`BodyTooLarge`).
 *
 * @example
 * const text = await readBody(req, 64 * 1024)
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
