/**
 * `yibao-guard/simulator`: the provincial platform simulator. Not built yet: it arrives with "[2/10] Provincial platform".
 * Until then every export throws `NotBuiltError` (code `NOT_BUILT_YET`) so that a caller learns at once
 * rather than from a missing export.
 */
import { NotBuiltError } from '../../src/index.js';

/** Not built yet: throws `NotBuiltError` (`NOT_BUILT_YET`). */
export function startSimulator(..._args: unknown[]): never {
  throw new NotBuiltError('simulator');
}
