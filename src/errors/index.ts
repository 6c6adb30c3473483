/**
 * yibao-guard/errors: `YibaoGuardError`, one class per area, and the catalog of every code with its zh-CN message
 * and English twin.
 *
 * @packageDocumentation
 */
export { YibaoGuardError, isYibaoGuardError, type ErrorDetails } from './base.js';
export {
  InputError,
  StorageError,
  NotBuiltError,
  PlatformError,
  PlatformRejectedError,
  PlatformUnavailableError,
  PlatformProtocolError,
  VoucherError,
  SaleError,
  InvoiceError,
} from './areas.js';
export type {
  InputErrorCode,
  StorageErrorCode,
  PlatformErrorCode,
  VoucherErrorCode,
  SaleErrorCode,
  InvoiceErrorCode,
  InputIssue,
  PlatformCallInfo,
} from './areas.js';
export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
