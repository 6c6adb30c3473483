export { YibaoGuardError, isYibaoGuardError, type ErrorDetails } from './base.js';
export { InputError, StorageError, NotBuiltError } from './areas.js';
export type { InputErrorCode, StorageErrorCode, InputIssue } from './areas.js';
export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
