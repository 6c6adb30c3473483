import { isValidTraceCode } from '../../src/codes/index.js';
import { formatCstTime, type TransactionInput } from '../../src/platform/index.js';
import { refuse } from './wire.js';
import type { InventoryRecord, StockLine, TxContext, TxResult, World } from './world.js';

/*
 * 进销存 (3501–3507) and the platform-wide 追溯码 register: a box's code is sold once, anywhere; a second sale is a
 * resold box (回流药) and is refused until a sale return (3506) or a deleted sale (3507) makes it sellable again.
 * Reports from one terminal must arrive in msgid order, as an outbox sends them.
 */

const ACCEPTED = { retRslt: '1', msgRslt: '成功' } as const;

/** The time-and-sequence tail of a msgid: what orders two msgids of one terminal. */
const msgidOrder = (msgid: string) => msgid.slice(-18);

/** Refuses a new report older than the last one accepted from the same terminal. */
function requireInOrder(ctx: TxContext): void {
  const last = ctx.world.lastInventoryMsgid.get(ctx.terminal);
  if (last !== undefined && msgidOrder(ctx.msgid) < msgidOrder(last)) {
    refuse(
      `进销存报文顺序错误：本终端已接收更新的报文 ${last}`,
      `out of order: this terminal already sent a later 35xx message (${last})`,
    );
  }
}

function accept(
  ctx: TxContext,
  record: Omit<InventoryRecord, 'msgid' | 'fixmedinsCode' | 'infno' | 'deleted'>,
): TxResult {
  ctx.world.inventory.push({
    ...record,
    infno: ctx.infno,
    msgid: ctx.msgid,
    fixmedinsCode: ctx.envelope.fixmedins_code,
    deleted: false,
  });
  ctx.world.lastInventoryMsgid.set(ctx.terminal, ctx.msgid);
  return { output: ACCEPTED, committed: true };
}

/** Every code must be a 20-digit 追溯码, and appear once in the message. */
function traceCodes(list: readonly { drug_trac_codg: string }[] | undefined): string[] {
  const codes = (list ?? []).map((t) => t.drug_trac_codg.trim());
  const seen = new Set<string>();
  for (const code of codes) {
    if (!isValidTraceCode(code))
      refuse(
        `药品追溯码 ${code.slice(0, 24)} 格式不正确（应为 8 开头的 20 位数字）`,
        `trace code ${code.slice(0, 24)} is not 20 digits starting with 8`,
      );
    if (seen.has(code))
      refuse(`药品追溯码 ${code} 在同一报文中重复`, `trace code ${code} appears twice in one message`);
    seen.add(code);
  }
  return codes;
}

function adjustStock(
  world: World,
  fixmedinsCode: string,
  productId: string,
  medListCode: string,
  batchNo: string,
  change: (quantity: number) => number,
): void {
  const lines = world.stock.get(fixmedinsCode) ?? [];
  world.stock.set(fixmedinsCode, lines);
  let line = lines.find((l) => l.productId === productId && l.batchNo === batchNo);
  if (!line) {
    line = { productId, medListCode, batchNo, quantity: 0 } satisfies StockLine;
    lines.push(line);
  }
  // The platform records what it is told, below zero too: a sale of goods never bought in is the 空刷 signal.
  line.quantity = Math.round(change(line.quantity) * 10_000) / 10_000;
}

/**
 * 3501 盘存: sets the batch's stock to the counted quantity.
 *
 * @example
 * stockCount(ctx, { invinfo }) // { output: { retRslt: '1', msgRslt: '成功' }, committed: true }
 */
export function stockCount(ctx: TxContext, input: TransactionInput<'3501'>): TxResult {
  requireInOrder(ctx);
  const inv = input.invinfo;
  const codes = traceCodes(inv.drugtracinfo);
  adjustStock(
    ctx.world,
    ctx.envelope.fixmedins_code,
    inv.fixmedins_hilist_id,
    inv.med_list_codg,
    inv.fixmedins_bchno,
    () => inv.inv_cnt,
  );
  return accept(ctx, { batchNo: inv.fixmedins_bchno, dataType: '1', traceCodes: codes });
}

/**
 * 3502 库存变更: recorded (its `inv_chg_type` semantics vary by province, so stock is left to 3501).
 *
 * @example
 * stockChange(ctx, { invinfo })
 */
export function stockChange(ctx: TxContext, input: TransactionInput<'3502'>): TxResult {
  requireInOrder(ctx);
  const inv = input.invinfo;
  return accept(ctx, { batchNo: inv.fixmedins_bchno, dataType: '2', traceCodes: traceCodes(inv.drugtracinfo) });
}

/**
 * 3503 采购 adds the quantity to the batch, 3504 采购退货 takes it away.
 *
 * @example
 * purchase(ctx, { purcinfo })
 */
export function purchase(ctx: TxContext, input: TransactionInput<'3503'> | TransactionInput<'3504'>): TxResult {
  requireInOrder(ctx);
  const p = input.purcinfo;
  const codes = traceCodes(p.drugtracinfo);
  const sign = ctx.infno === '3504' ? -1 : 1;
  adjustStock(
    ctx.world,
    ctx.envelope.fixmedins_code,
    p.fixmedins_hilist_id,
    p.med_list_codg,
    p.fixmedins_bchno,
    (q) => q + sign * p.purc_retn_cnt,
  );
  return accept(ctx, { batchNo: p.fixmedins_bchno, dataType: '3', traceCodes: codes });
}

/**
 * 3505 销售: every 追溯码 must be unsold platform-wide; all are then marked sold here, now, or none is.
 *
 * @example
 * sale(ctx, { selinfo: { ...line, drugtracinfo: [{ drug_trac_codg }] } })
 */
export function sale(ctx: TxContext, input: TransactionInput<'3505'>): TxResult {
  requireInOrder(ctx);
  const s = input.selinfo;
  const codes = traceCodes(s.drugtracinfo);
  const { world } = ctx;
  for (const code of codes) {
    const sold = world.sold.get(code);
    if (sold) {
      const where = sold.fixmedinsCode === ctx.envelope.fixmedins_code ? '本机构' : `机构 ${sold.fixmedinsCode} `;
      refuse(
        `药品追溯码 ${code} 已于 ${formatCstTime(sold.at)} 在${where}销售，疑似回流药，不得重复销售`,
        `duplicate trace code ${code}: already sold on ${formatCstTime(sold.at)} (possible resold drug, 回流药)`,
      );
    }
  }
  for (const code of codes)
    world.sold.set(code, {
      code,
      fixmedinsCode: ctx.envelope.fixmedins_code,
      at: s.sel_retn_time,
      msgid: ctx.msgid,
      rtalDocno: s.rtal_docno,
    });
  adjustStock(
    world,
    ctx.envelope.fixmedins_code,
    s.fixmedins_hilist_id,
    s.med_list_codg,
    s.fixmedins_bchno,
    (q) => q - s.sel_retn_cnt,
  );
  return accept(ctx, { batchNo: s.fixmedins_bchno, dataType: '4', traceCodes: codes });
}

/**
 * 3506 销售退货: codes sold by this pharmacy become sellable again.
 *
 * @example
 * saleReturn(ctx, { selinfo: { ...sold, medins_prod_sel_no } })
 */
export function saleReturn(ctx: TxContext, input: TransactionInput<'3506'>): TxResult {
  requireInOrder(ctx);
  const s = input.selinfo;
  const codes = traceCodes(s.drugtracinfo);
  const { world } = ctx;
  for (const code of codes) {
    const sold = world.sold.get(code);
    if (!sold)
      refuse(
        `药品追溯码 ${code} 未销售或已退货，不能退货`,
        `trace code ${code} was never sold, or was already returned`,
      );
    if (sold.fixmedinsCode !== ctx.envelope.fixmedins_code)
      refuse(`药品追溯码 ${code} 由其他机构销售，不能在本机构退货`, `trace code ${code} was sold by another pharmacy`);
  }
  for (const code of codes) world.sold.delete(code);
  adjustStock(
    world,
    ctx.envelope.fixmedins_code,
    s.fixmedins_hilist_id,
    s.med_list_codg,
    s.fixmedins_bchno,
    (q) => q + s.sel_retn_cnt,
  );
  return accept(ctx, { batchNo: s.fixmedins_bchno, dataType: '4', traceCodes: codes });
}

/**
 * 3507 删除: withdraws this pharmacy's records of a batch and kind; a deleted sale frees its codes.
 *
 * @example
 * deleteRecord(ctx, { data: { fixmedins_bchno: 'B1', inv_data_type: '4' } })
 */
export function deleteRecord(ctx: TxContext, input: TransactionInput<'3507'>): TxResult {
  requireInOrder(ctx);
  const { fixmedins_bchno, inv_data_type } = input.data;
  const { world } = ctx;
  const records = world.inventory.filter(
    (r) =>
      !r.deleted &&
      r.fixmedinsCode === ctx.envelope.fixmedins_code &&
      r.batchNo === fixmedins_bchno &&
      r.dataType === inv_data_type,
  );
  if (records.length === 0)
    refuse('未找到要删除的进销存记录', 'no 35xx record with this fixmedins_bchno and inv_data_type to delete');
  for (const record of records) {
    record.deleted = true;
    // A deleted sale never happened: its boxes may be sold again. A deleted return puts them back as sold.
    for (const code of record.traceCodes) {
      if (record.infno === '3505' && world.sold.get(code)?.msgid === record.msgid) world.sold.delete(code);
      if (record.infno === '3506' && !world.sold.has(code))
        world.sold.set(code, { code, fixmedinsCode: record.fixmedinsCode, at: ctx.now, msgid: record.msgid });
    }
  }
  world.lastInventoryMsgid.set(ctx.terminal, ctx.msgid);
  return { output: ACCEPTED, committed: true };
}

/**
 * YG05: whether each code was sold, where and when.
 *
 * @example
 * traceStatus(ctx, { data: { drug_trac_codg: [code] } }).output // { result: [{ drug_trac_codg, sel_flag: '1',
 * fixmedins_code, sel_time }] }
 */
export function traceStatus(ctx: TxContext, input: TransactionInput<'YG05'>): TxResult {
  const result = input.data.drug_trac_codg.map((raw) => {
    const code = raw.trim();
    if (!isValidTraceCode(code))
      refuse(
        `药品追溯码 ${code.slice(0, 24)} 格式不正确`,
        `trace code ${code.slice(0, 24)} is not 20 digits starting with 8`,
      );
    const sold = ctx.world.sold.get(code);
    return sold
      ? { drug_trac_codg: code, sel_flag: '1', fixmedins_code: sold.fixmedinsCode, sel_time: formatCstTime(sold.at) }
      : { drug_trac_codg: code, sel_flag: '0', fixmedins_code: null, sel_time: null };
  });
  return { output: { result }, committed: false };
}

/**
 * YG08 (yibao-guard): a page of the asking pharmacy's stock per product and batch, as its 35xx reports left it, in a
 * stable order (product, then batch), with the number of lines in all.
 *
 * @example
 * stockQuery(ctx, { data: { page_num: 1, page_size: 100 } }).output // { result: [{ fixmedins_hilist_id,
 * fixmedins_bchno, med_list_codg, inv_cnt }], total }
 */
export function stockQuery(ctx: TxContext, input: TransactionInput<'YG08'>): TxResult {
  const { page_num, page_size, fixmedins_hilist_id } = input.data;
  const lines = (ctx.world.stock.get(ctx.envelope.fixmedins_code) ?? [])
    .filter((l) => fixmedins_hilist_id === undefined || l.productId === fixmedins_hilist_id)
    .sort((a, b) => (a.productId === b.productId ? cmp(a.batchNo, b.batchNo) : cmp(a.productId, b.productId)));
  const result = lines.slice((page_num - 1) * page_size, page_num * page_size).map((l) => ({
    fixmedins_hilist_id: l.productId,
    fixmedins_bchno: l.batchNo,
    med_list_codg: l.medListCode ?? null,
    inv_cnt: l.quantity,
  }));
  return { output: { result, total: lines.length }, committed: false };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
