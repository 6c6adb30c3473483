/**
 * Every error code yibao-guard can raise, with its default bilingual message. This table is the one
 * place a code is defined; README's error table is checked against it by a test.
 *
 * Codes are stable: callers branch on them, so a code is never renamed or reused for another meaning.
 */
export const ERROR_CATALOG = {
  // Input at the edge: scans, typed-in codes, records from outside.
  INVALID_INPUT: { area: 'input', zh: '输入数据格式不正确', en: 'Input is not in the expected format' },
  INVALID_RESIDENT_ID: { area: 'input', zh: '居民身份证号码无效', en: 'Resident ID number is invalid' },
  INVALID_GTIN: { area: 'input', zh: '商品条码无效', en: 'GTIN barcode is invalid' },
  INVALID_TRACE_CODE: { area: 'input', zh: '药品追溯码无效', en: 'Drug traceability code is invalid' },
  INVALID_AREA_CODE: { area: 'input', zh: '医保区划代码无效', en: 'Insurance area code is invalid' },
  INVALID_MED_LIST_CODE: { area: 'input', zh: '医保目录编码无效', en: 'Medical insurance item code is invalid' },
  INVALID_MONEY: { area: 'input', zh: '金额格式不正确', en: 'Amount is not a valid money value' },
  INVALID_QUANTITY: { area: 'input', zh: '数量格式不正确', en: 'Quantity is not valid' },
  // Storage adapters.
  STORAGE_CLOSED: { area: 'storage', zh: '本地存储已关闭', en: 'Storage is closed' },
  STORAGE_UNKNOWN_NAME: { area: 'storage', zh: '本地存储中没有该数据表', en: 'No such store or journal in this storage' },
  STORAGE_CONFLICT: {
    area: 'storage',
    zh: '本地数据已被其他操作修改，本次写入未生效',
    en: 'The record was changed by another writer; nothing was written',
  },
  STORAGE_INVALID_VALUE: {
    area: 'storage',
    zh: '数据无法保存（不是可存储的 JSON 值），本次写入未生效',
    en: 'Value cannot be stored (not JSON-serialisable); nothing was written',
  },
  STORAGE_CORRUPT: { area: 'storage', zh: '本地存储的记录已损坏', en: 'A stored record is corrupt' },
  STORAGE_QUOTA: {
    area: 'storage',
    zh: '本地存储空间不足，本次写入未生效',
    en: 'Storage quota exceeded; nothing was written',
  },
  STORAGE_FAILED: { area: 'storage', zh: '本地存储写入失败，本次写入未生效', en: 'Storage write failed; nothing was written' },
  // The provincial platform.
  PLATFORM_REJECTED: { area: 'platform', zh: '医保平台拒绝了本次交易', en: 'The platform rejected the transaction' },
  PLATFORM_UNAVAILABLE: {
    area: 'platform',
    zh: '医保平台暂时无法访问，请稍后重试；医保结算不能离线进行，自费销售不受影响',
    en: 'The platform cannot be reached; insured settlement needs it, self-pay sales do not',
  },
  PLATFORM_PROTOCOL: { area: 'platform', zh: '医保平台返回的数据格式不正确', en: 'The platform answered with data that does not follow the interface' },
  PLATFORM_OUTCOME_UNKNOWN: {
    area: 'platform',
    zh: '交易结果未知，须冲正或查询后再继续，切勿重复收费',
    en: 'The outcome of the transaction is unknown; reverse or query it before going on, never charge twice',
  },
  PLATFORM_SIGN_IN_FAILED: { area: 'platform', zh: '医保平台签到失败', en: 'Sign-in to the platform failed' },
  // Package entries that a later release fills.
  NOT_BUILT_YET: { area: 'package', zh: '该功能尚未实现', en: 'This entry point is not built yet' },
  ENVIRONMENT_UNSUPPORTED: {
    area: 'package',
    zh: '当前运行环境缺少所需功能（如 WebCrypto）',
    en: 'This runtime lacks a capability yibao-guard needs (such as WebCrypto)',
  },
} as const satisfies Record<string, { area: string; zh: string; en: string }>;

/** A stable error code: branch on this, never on the message. */
export type ErrorCode = keyof typeof ERROR_CATALOG;
