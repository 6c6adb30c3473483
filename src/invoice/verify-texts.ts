/*
 * The report texts of invoice verification, in both languages. Only the verifier imports them, so a till that only
 * issues invoices leaves them out of its bundle.
 */
import type { InvoiceKey, InvoiceText } from './verify.js';
import { isStart, type Node, type Start } from './verify-nodes.js';
import { formatCstTime } from '../platform/time.js';

const range = (from: number, to: number) => (from === to ? `${from}` : `${from}–${to}`);
const yuan = (fen: number) => (fen / 100).toFixed(2);
const KIND_ZH: Record<string, string> = {
  refund: '退费',
  void: '作废',
  sale: '销售',
  'key-rotation': '密钥更换',
  'catch-up': '补签',
};

/** The report texts, in both languages. */
export const texts = {
  notAnInvoice: (where: string): InvoiceText => ({
    zh: `不是有效的票据记录（${where}）`,
    en: `not a valid invoice record (${where})`,
  }),
  notCanonical: (): InvoiceText => ({
    zh: '记录不是规范 JSON（RFC 8785）形式：导出文件被改动过（含空白或换行）',
    en: 'not in canonical JSON (RFC 8785) form: the export was changed (white space or line endings included)',
  }),
  unsignedReceipt: (): InvoiceText => ({
    zh: '未签名票据（开具时终端密钥不可用）',
    en: 'unsigned receipt (the terminal key was unavailable when it was issued)',
  }),
  unsignedUncovered: (): InvoiceText => ({
    zh: '未签名票据，且其后没有链接到它的有效补签记录',
    en: 'unsigned receipt, not covered by a valid catch-up record built on it',
  }),
  unknownKey: (keyId: string): InvoiceText => ({
    zh: `签名密钥 ${keyId} 未知：既未提供，也未由有效的密钥更换记录引入`,
    en: `signing key ${keyId} is unknown: neither given nor introduced by a valid key-rotation record`,
  }),
  untrustedRotation: (keyId: string, seq: number): InvoiceText => ({
    zh: `签名密钥 ${keyId} 由第 ${seq} 号密钥更换记录引入，但该记录未通过验证`,
    en: `signing key ${keyId} was introduced by the key rotation at seq ${seq}, which does not verify`,
  }),
  rotationMismatch: (keyId: string): InvoiceText => ({
    zh: `密钥更换记录中 ${keyId} 的公钥与登记的公钥不同`,
    en: `the key rotation names a public key for ${keyId} other than the registered one`,
  }),
  retired: (keyId: string, seq: number): InvoiceText => ({
    zh: `密钥 ${keyId} 已在第 ${seq} 号密钥更换后停用，不能再签名`,
    en: `key ${keyId} was retired by the key rotation at seq ${seq} and signs nothing after it`,
  }),
  notYet: (keyId: string, seq: number): InvoiceText => ({
    zh: `密钥 ${keyId} 自第 ${seq} 号密钥更换之后才生效`,
    en: `key ${keyId} is valid only after the key rotation at seq ${seq}`,
  }),
  outsideTimes: (key: InvoiceKey, at: number): InvoiceText => ({
    zh: `开具时间 ${formatCstTime(at)} 不在密钥 ${key.keyId} 的有效期内`,
    en: `issued at ${formatCstTime(at)} (CST), outside the validity of key ${key.keyId}`,
  }),
  badQrSignature: (keyId: string): InvoiceText => ({
    zh: `二维码签名校验失败（密钥 ${keyId}）：二维码内容被改动，或并非该密钥签发`,
    en: `the QR code's signature does not verify with key ${keyId}: its content was changed, or another key signed it`,
  }),
  badSignature: (keyId: string): InvoiceText => ({
    zh: `签名校验失败（密钥 ${keyId}）：记录内容或签名被改动，或并非该密钥签名`,
    en: `the signature does not verify with key ${keyId}: the record or its signature was changed, or another key signed it`,
  }),
  badSignatureChained: (keyId: string): InvoiceText => ({
    zh: `签名校验失败（密钥 ${keyId}）：后续票据链接的正是这条记录，签名在开具时即不正确（伪造或用其他密钥签名）`,
    en: `the signature does not verify with key ${keyId}, and later invoices are built on this very record: it was signed wrongly (forged, or another key)`,
  }),
  alteredAfter: (seq: number, next: number): InvoiceText => ({
    zh: `第 ${seq} 号在开具后被改动（内容或签名）：签名不符，第 ${next} 号链接的也不是这条记录`,
    en: `invoice ${seq} was changed after it was issued (content or signature): its signature fails and invoice ${next} is not built on it`,
  }),
  replaced: (seq: number, next: number): InvoiceText => ({
    zh: `第 ${seq} 号被替换：第 ${next} 号链接的是另一张第 ${seq} 号票据（此记录签名有效，系持有密钥者重新签发）`,
    en: `invoice ${seq} was replaced: invoice ${next} is built on a different invoice ${seq} (this one's signature is valid: re-issued by a key holder)`,
  }),
  badStart: (seq: number): InvoiceText => ({
    zh: `第 ${seq} 号应为票据链起点，但它链接的前一记录哈希不符`,
    en: `invoice ${seq} should start the chain, but the hash it names as predecessor is not the chain's start`,
  }),
  gap: (from: number, to: number, after: number): InvoiceText => ({
    zh: `缺号：第 ${range(from, to)} 号从未开具（本票据直接链接第 ${after} 号）`,
    en: `numbers ${range(from, to)} were never issued: this invoice is chained directly to invoice ${after}`,
  }),
  deleted: (from: number, to: number, seq: number): InvoiceText => ({
    zh: `第 ${range(from, to)} 号被删除：第 ${seq} 号所链接的前一张票据不在此处`,
    en: `invoice${from === to ? '' : 's'} ${range(from, to)} missing: the invoice that invoice ${seq} is built on is not here`,
  }),
  truncated: (from: number, to: number): InvoiceText => ({
    zh: `末尾第 ${range(from, to)} 号被删除：导出文件头（或平台）记载的最后一张为第 ${to} 号`,
    en: `invoice${from === to ? '' : 's'} ${range(from, to)} missing at the end: the export header (or the platform) says the chain ends at ${to}`,
  }),
  notHead: (seq: number): InvoiceText => ({
    zh: `第 ${seq} 号与导出文件头（或平台）记载的最后一张票据哈希不符`,
    en: `invoice ${seq} is not the last invoice the export header (or the platform) names`,
  }),
  afterHead: (seq: number): InvoiceText => ({
    zh: `该记录位于导出文件头（或平台）记载的最后一张（第 ${seq} 号）之后`,
    en: `this record comes after the chain's last invoice (${seq}) as the export header (or the platform) names it`,
  }),
  sameRecord: (seq: number, index: number): InvoiceText => ({
    zh: `重复：与第 ${index + 1} 条记录（第 ${seq} 号）完全相同`,
    en: `duplicate: the same record as record ${index + 1} (invoice ${seq})`,
  }),
  reused: (seq: number, after: number): InvoiceText => ({
    zh: `重号：第 ${seq} 号再次使用（链接在第 ${after} 号之后）`,
    en: `number ${seq} issued again (chained after invoice ${after})`,
  }),
  reusedUnchained: (seq: number): InvoiceText => ({
    zh: `重号：第 ${seq} 号已被使用，这条记录不在票据链上`,
    en: `number ${seq} is already used, and this record is not part of the chain`,
  }),
  forked: (seq: number, pred: number): InvoiceText => ({
    zh: `重号：又一张第 ${seq} 号票据链接在第 ${pred} 号之后`,
    en: `number ${seq} twice: another invoice ${seq} is built on invoice ${pred}`,
  }),
  inserted: (next: number, pred: Node | Start, repeats: number | undefined): InvoiceText => ({
    zh: `插入的记录：不在票据链上（第 ${next} 号直接链接${isStart(pred) ? '链起点' : `第 ${pred.seq} 号`}）${repeats === undefined ? '' : `，且与第 ${repeats} 号重号`}`,
    en: `inserted: not part of the chain (invoice ${next} is built directly on ${isStart(pred) ? 'the chain start' : `invoice ${pred.seq}`})${repeats === undefined ? '' : `; it repeats number ${repeats}`}`,
  }),
  reordered: (seq: number, after: number | undefined): InvoiceText => ({
    zh: `顺序错乱：第 ${seq} 号应位于${after === undefined ? '最前' : `第 ${after} 号之后`}`,
    en: `out of order: invoice ${seq} belongs ${after === undefined ? 'first' : `after invoice ${after}`}`,
  }),
  chainedElsewhere: (seq: number, pred: number, after: number): InvoiceText => ({
    zh: `第 ${seq} 号链接的是第 ${pred} 号，而非其前的第 ${after} 号`,
    en: `invoice ${seq} is built on invoice ${pred}, not on invoice ${after} before it`,
  }),
  unknownReversal: (kind: string, seq: number): InvoiceText => ({
    zh: `${KIND_ZH[kind] ?? kind}所指的原票据（第 ${seq} 号）在票据链中不存在`,
    en: `the ${kind} names invoice ${seq}, which does not exist in the chain`,
  }),
  notASale: (kind: string, seq: number, original: string): InvoiceText => ({
    zh: `${KIND_ZH[kind] ?? kind}所指的第 ${seq} 号不是此前的销售票据（而是${KIND_ZH[original] ?? original}，或在其后）`,
    en: `the ${kind} names invoice ${seq}, which is not an earlier sale (it is a ${original}, or comes later)`,
  }),
  excess: (kind: string, seq: number, original: number, total: number): InvoiceText => ({
    zh: `${KIND_ZH[kind] ?? kind}金额超出：第 ${seq} 号原金额 ${yuan(original)} 元，累计冲回 ${yuan(total)} 元`,
    en: `the ${kind} reverses too much: invoice ${seq} was ${yuan(original)} yuan, ${yuan(total)} yuan reversed in all`,
  }),
};
