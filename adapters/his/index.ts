/**
 * `yibao-guard/his`: the pre-warning hook service for clinic HIS. Not built yet: it arrives with "[8/10] Pre-warning hooks for clinic HIS".
 * Until then every export throws `NotBuiltError` (code `NOT_BUILT_YET`) so that a caller learns at once
 * rather than from a missing export.
 */
import { NotBuiltError } from '../../src/index.js';

/** Not built yet: throws `NotBuiltError` (`NOT_BUILT_YET`). */
export function createHisHandler(..._args: unknown[]): never {
  throw new NotBuiltError('his');
}
