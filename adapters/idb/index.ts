/**
 * `yibao-guard/idb`: the IndexedDB storage adapter. Not built yet: it arrives with "[6/10] Durable outbox and inventory sync".
 * Until then every export throws `NotBuiltError` (code `NOT_BUILT_YET`) so that a caller learns at once
 * rather than from a missing export.
 */
import { NotBuiltError } from '../../src/index.js';

/** Not built yet: throws `NotBuiltError` (`NOT_BUILT_YET`). */
export function createIdbStorage(..._args: unknown[]): never {
  throw new NotBuiltError('idb');
}
