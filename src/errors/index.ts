export { YibaoGuardError, isYibaoGuardError, type ErrorDetails } from './base.js';
export { InputError, StorageError, NotBuiltError, PlatformError, PlatformRejectedError, PlatformUnavailableError, PlatformProtocolError, VoucherError } from './areas.js';
export type { InputErrorCode, StorageErrorCode, PlatformErrorCode, VoucherErrorCode, InputIssue, PlatformCallInfo } from './areas.js';
export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
