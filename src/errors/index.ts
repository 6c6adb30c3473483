export { YibaoGuardError, isYibaoGuardError, type ErrorDetails } from './base.js';
export { InputError, StorageError, NotBuiltError, PlatformError, PlatformRejectedError, PlatformUnavailableError, PlatformProtocolError, VoucherError, SaleError } from './areas.js';
export type { InputErrorCode, StorageErrorCode, PlatformErrorCode, VoucherErrorCode, SaleErrorCode, InputIssue, PlatformCallInfo } from './areas.js';
export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
