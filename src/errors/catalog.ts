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
  STORAGE_UNKNOWN_NAME: {
    area: 'storage',
    zh: '本地存储中没有该数据表',
    en: 'No such store or journal in this storage',
  },
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
  STORAGE_FAILED: {
    area: 'storage',
    zh: '本地存储写入失败，本次写入未生效',
    en: 'Storage write failed; nothing was written',
  },
  // The provincial platform.
  PLATFORM_REJECTED: { area: 'platform', zh: '医保平台拒绝了本次交易', en: 'The platform rejected the transaction' },
  PLATFORM_UNAVAILABLE: {
    area: 'platform',
    zh: '医保平台暂时无法访问，请稍后重试；医保结算不能离线进行，自费销售不受影响',
    en: 'The platform cannot be reached; insured settlement needs it, self-pay sales do not',
  },
  PLATFORM_PROTOCOL: {
    area: 'platform',
    zh: '医保平台返回的数据格式不正确',
    en: 'The platform answered with data that does not follow the interface',
  },
  PLATFORM_OUTCOME_UNKNOWN: {
    area: 'platform',
    zh: '交易结果未知，须冲正或查询后再继续，切勿重复收费',
    en: 'The outcome of the transaction is unknown; reverse or query it before going on, never charge twice',
  },
  PLATFORM_SIGN_IN_FAILED: { area: 'platform', zh: '医保平台签到失败', en: 'Sign-in to the platform failed' },
  PLATFORM_AUTH_FAILED: {
    area: 'platform',
    zh: '医保网关拒绝了接入凭证，请检查接入编号、密钥和终端时钟',
    en: 'The platform gateway refused the credentials; check the access id, secret and clock',
  },
  // Real-name voucher verification (实名购药).
  VOUCHER_UNREADABLE: {
    area: 'voucher',
    zh: '无法识别该凭证，请重新扫码或刷卡',
    en: 'The voucher could not be read; scan or swipe it again',
  },
  VOUCHER_NOT_ALLOWED: {
    area: 'voucher',
    zh: '本地政策不允许仅凭身份证购药结算',
    en: 'Local policy does not allow insured purchases with the resident ID card alone',
  },
  VOUCHER_INVALID: { area: 'voucher', zh: '医保凭证无效', en: 'The voucher is not valid' },
  VOUCHER_EXPIRED: {
    area: 'voucher',
    zh: '医保电子凭证已过期或已使用，请参保人刷新医保码后重新扫码',
    en: 'The e-voucher has expired or was already used; ask the buyer to refresh the QR code',
  },
  VOUCHER_MISMATCH: {
    area: 'voucher',
    zh: '社保卡与身份证不是同一人',
    en: 'The card and the resident ID do not belong to the same person',
  },
  VOUCHER_OFFLINE: {
    area: 'voucher',
    zh: '医保平台无法访问，暂不能医保结算；可按自费销售',
    en: 'The platform cannot be reached: no insured settlement now; the sale may proceed as self-pay',
  },
  BUYER_NOT_INSURED: {
    area: 'voucher',
    zh: '未参保或参保已终止，不能医保结算',
    en: 'The person is not insured or the insurance has ended',
  },
  BUYER_INSURANCE_SUSPENDED: {
    area: 'voucher',
    zh: '参保人已暂停参保，不能医保结算',
    en: 'The insurance is suspended',
  },
  BUYER_DECEASED: {
    area: 'voucher',
    zh: '该参保人已死亡，凭证不得使用；请核实购药人身份',
    en: 'The holder is recorded as deceased; the voucher must not be used. Check who is buying',
  },
  BUYER_SETTLEMENT_SUSPENDED: {
    area: 'voucher',
    zh: '该参保人联网结算已暂停（医保失信等），不能医保结算',
    en: 'Networked settlement is suspended for this person (credit blacklist or sanction)',
  },
  // Sales, rule prompts (事前提醒) and rule packs.
  SCAN_UNKNOWN_PRODUCT: {
    area: 'sale',
    zh: '扫描的条码或追溯码不在本店商品目录中',
    en: 'The scanned barcode or trace code is not in the catalog',
  },
  PRODUCT_NOT_PRICED: { area: 'sale', zh: '该商品没有零售价，不能销售', en: 'The product has no retail price' },
  SALE_LINE_NOT_FOUND: { area: 'sale', zh: '销售明细不存在', en: 'No such sale line' },
  SALE_CLOSED: {
    area: 'sale',
    zh: '该笔销售已结算或已作废，不能再修改',
    en: 'The sale is settled or voided and cannot change',
  },
  SALE_NOT_REVIEWED: {
    area: 'sale',
    zh: '销售内容有变动，结算前须重新审核',
    en: 'The sale changed since its last review; review it again before settlement',
  },
  FINDING_NOT_FOUND: {
    area: 'sale',
    zh: '该提示不存在或已失效，请重新审核',
    en: 'No such finding in the current review',
  },
  FINDING_NOT_OVERRIDABLE: {
    area: 'sale',
    zh: '禁止类提示不能忽略：须移除该明细、改为自费或修改后重新审核',
    en: 'A block cannot be overridden: remove the line, switch it to self-pay or change it',
  },
  OVERRIDE_REASON_UNKNOWN: {
    area: 'sale',
    zh: '忽略原因不在规则包的原因列表中',
    en: "The override reason is not in the rule pack's list",
  },
  OVERRIDE_NOTE_REQUIRED: {
    area: 'sale',
    zh: '选择“其他”原因时须填写说明',
    en: 'An explanation is required with the reason "other"',
  },
  RULE_BLOCKED: {
    area: 'sale',
    zh: '存在未处理的禁止类提示，不能结算',
    en: 'Settlement refused: a block finding is unresolved',
  },
  RULE_WARNING_NOT_OVERRIDDEN: {
    area: 'sale',
    zh: '存在未确认的警告类提示，须处理或填写原因后才能结算',
    en: 'Settlement refused: a warning is neither resolved nor overridden with a reason',
  },
  SALE_EMPTY: { area: 'sale', zh: '该笔销售没有商品明细', en: 'The sale has no lines' },
  SALE_NOT_FOUND: { area: 'sale', zh: '本终端没有该笔已结算的销售', en: 'No such settled sale on this terminal' },
  REFUND_INVALID: {
    area: 'sale',
    zh: '退货数量或方式不符合原销售',
    en: 'The refund does not match what the sale can give back',
  },
  SETTLEMENT_OUTCOME_UNKNOWN: {
    area: 'sale',
    zh: '结算结果未知且无法连接医保平台：请勿收费，平台恢复后将查询或冲正',
    en: 'The settlement outcome is unknown and the platform cannot be reached: take no money; it is asked or reversed when the platform is back',
  },
  REFUND_OUTCOME_UNKNOWN: {
    area: 'sale',
    zh: '结算撤销结果未知：暂勿退款，请稍后再次退货以查询结果',
    en: 'The outcome of the settlement cancellation is unknown: pay nothing back yet; refund again to ask',
  },
  SETTLEMENT_REVERSED: {
    area: 'sale',
    zh: '结算应答丢失，已冲正，未扣费，请重新结算',
    en: "The settlement's answer was lost and it was reversed: nothing was charged; settle again",
  },
  RULE_PACK_INVALID_SIGNATURE: {
    area: 'sale',
    zh: '规则包签名校验失败，继续使用原规则包',
    en: "The rule pack's signature does not verify; the previous pack stays in force",
  },
  RULE_PACK_STALE: {
    area: 'sale',
    zh: '规则包版本不高于当前版本，继续使用原规则包',
    en: 'The rule pack is not newer than the one in force; it stays in force',
  },
  RULE_PACK_EXPIRED: {
    area: 'sale',
    zh: '规则包已过期或尚未生效，继续使用原规则包',
    en: 'The rule pack is outside its validity dates; the previous pack stays in force',
  },
  RULE_PACK_WRONG_SCOPE: {
    area: 'sale',
    zh: '规则包不是发给本药店的（统筹区、药店或规则包编号不符），继续使用原规则包',
    en: 'The rule pack was issued for another area, pharmacy or pack series; the previous pack stays in force',
  },
  // Invoices: signing, the hash chain, receipt QR codes and chain exports.
  INVOICE_KEY_UNAVAILABLE: {
    area: 'invoice',
    zh: '终端签名密钥不可用（设备密钥不符、密钥损坏或未登记），票据暂不签名',
    en: 'The terminal signing key is unavailable (wrong device secret, damaged or not enrolled); receipts go unsigned',
  },
  INVOICE_REVERSAL_INVALID: {
    area: 'invoice',
    zh: '要退费或作废的原票据不存在、不是销售票据或已全部退回',
    en: 'The invoice to refund or void does not exist, is not a sale, or is fully reversed',
  },
  INVOICE_UNREADABLE: {
    area: 'invoice',
    zh: '无法识别该票据、票据二维码或票据链导出文件',
    en: 'Not a readable invoice, receipt QR code or chain export',
  },
  // Outbox and sync (进销存 delivery).
  DEAD_LETTER_NOT_FOUND: { area: 'sync', zh: '没有待处理的该条失败记录', en: 'No open dead letter with that number' },
  // The pre-warning hook service for clinic HIS (yibao-guard/his).
  HIS_UNAUTHORIZED: {
    area: 'his',
    zh: '调用未通过认证：令牌缺失、签名无效、已过期、已使用过，或签发方不在允许名单中',
    en: 'The call is not authenticated: the token is missing, badly signed, expired, replayed or from an issuer not allowed',
  },
  HIS_SERVICE_UNKNOWN: { area: 'his', zh: '没有该预警服务或地址', en: 'No such CDS service or path' },
  HIS_METHOD_NOT_ALLOWED: { area: 'his', zh: '该地址不支持此请求方法', en: 'This method is not allowed on this path' },
  HIS_FEEDBACK_FORBIDDEN: {
    area: 'his',
    zh: '该提示卡片不是发给本调用方的（签发方或令牌身份不同），不能对其反馈',
    en: 'The card was not shown to this caller (another issuer or token identity); its feedback is refused',
  },
  HIS_DATA_MISSING: {
    area: 'his',
    zh: '缺少审核所需的数据（如参保信息、处方或价格），请补充后重新调用',
    en: 'Data the rules need is missing (such as the insurance facts, a prescription or a price); send it and call again',
  },
  // The local HTTP servers (simulator, demo terminal, HIS hook service): requests refused at the door.
  HTTP_CROSS_SITE_REFUSED: {
    area: 'http',
    zh: '拒绝来自其他网站页面的请求；如需允许，请将该来源加入 allowedOrigins',
    en: 'A request from a page of another site was refused; add its origin to allowedOrigins to allow it',
  },
  HTTP_HOST_NOT_ALLOWED: {
    area: 'http',
    zh: '请求的主机名不是本服务的地址（防 DNS 重绑定）；如需使用该主机名，请将其加入 allowedHosts',
    en: 'The Host named is not one this server answers to (DNS rebinding protection); add it to allowedHosts to use it',
  },
  HTTP_UNSUPPORTED_MEDIA_TYPE: {
    area: 'http',
    zh: '请求内容须为 JSON（Content-Type: application/json）',
    en: 'The request body must be JSON (Content-Type: application/json)',
  },
  HTTP_REQUEST_TIMEOUT: {
    area: 'http',
    zh: '请求未在时限内发送完毕，连接已关闭',
    en: 'The request was not received in time; the connection is closed',
  },
  // The self-audit (自查自纠).
  AUDIT_CANCELLED: {
    area: 'audit',
    zh: '自查在完成前已取消，未生成报告',
    en: 'The self-audit was cancelled before it finished; no report was made',
  },
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
