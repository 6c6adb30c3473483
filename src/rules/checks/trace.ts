import type { Check } from '../compile.js';

/*
 * 药品追溯码: one code per smallest sold package (box), its 7-digit product prefix matching the product, never sold
 * before here or on the platform. A code seen twice is a resold box (回流药): the fund paid for it once already.
 */

/** Traceable products (they carry a 追溯码 prefix): a whole-box line needs one code per box; a 拆零 line at least one. */
export const traceCodeMissing: Check<'trace-code-missing'> = {
  id: 'trace-code-missing',
  line(line, product, ctx) {
    if (!product?.traceCodePrefix) return;
    const needed = line.split ? 1 : Math.ceil(line.quantity);
    const have = line.traceCodes.length;
    if (have >= needed) return;
    ctx.emit({
      lineId: line.lineId,
      summary: {
        zh: `缺少追溯码：需 ${needed} 个，已扫 ${have} 个`,
        en: `Trace codes missing: ${have} of ${needed} scanned`,
      },
      detail: {
        zh: `“${product.genericName}”每盒须扫描一个药品追溯码，本行 ${line.quantity}${product.packageUnit}，已扫 ${have} 个。`,
        en: `"${product.genericName}" needs one trace code per box: ${line.quantity} boxes, ${have} codes scanned.`,
      },
      evidence: { productId: product.productId, needed, scanned: have },
      actions:
        have > 0
          ? [{ kind: 'reduce-quantity', lineId: line.lineId, quantity: have }]
          : [{ kind: 'remove-line', lineId: line.lineId }],
    });
  },
};

/**
 * A box whose code's product prefix is not this product's. A box of another known product on a fund line is 串换
 * and left to the substitution rule (when the pack has it on); on a 自费 line, or with substitution off, it is
 * reported here: the code the sale would report is not the box's. One card per distinct code.
 */
export const traceCodeMismatch: Check<'trace-code-mismatch'> = {
  id: 'trace-code-mismatch',
  line(line, product, ctx) {
    if (!product) return;
    const substitutionReports = line.payMode === 'fund' && ctx.pack.rules.some((r) => r.id === 'substitution');
    for (const code of new Set(line.traceCodes)) {
      const prefix = code.slice(0, 7);
      if (prefix === product.traceCodePrefix) continue;
      const other = ctx.catalog.byTracePrefix(prefix);
      if (other && (other.productId === product.productId || other.medListCode === product.medListCode)) continue;
      if (other && substitutionReports) continue;
      ctx.emit({
        lineId: line.lineId,
        key: code,
        summary: { zh: '追溯码与商品不符', en: 'Trace code does not match the product' },
        detail: {
          zh: `追溯码 ${code} 的药品标识码 ${prefix} 不是“${product.genericName}”的（${product.traceCodePrefix ?? '目录未登记'}）${other ? `，而是“${other.genericName}”的` : ''}。`,
          en: `Trace code ${code} has product prefix ${prefix}, not that of "${product.genericName}" (${product.traceCodePrefix ?? 'none on file'})${other ? `: it is "${other.genericName}"` : ''}.`,
        },
        evidence: { traceCode: code, prefix, expectedPrefix: product.traceCodePrefix ?? null },
        actions: [{ kind: 'remove-line', lineId: line.lineId }],
      });
    }
  },
};

/**
 * The same code twice in this sale (on one line or two), or sold before (here, or on the platform when online):
 * 回流药. One card per line and code: a box sold before says so on the line it first appears on; every later
 * appearance in the sale is `this-sale`.
 */
export const traceCodeDuplicate: Check<'trace-code-duplicate'> = {
  id: 'trace-code-duplicate',
  sale(ctx) {
    const firstLine = new Map<string, string>();
    for (const line of ctx.input.lines) {
      const times = new Map<string, number>();
      for (const code of line.traceCodes) times.set(code, (times.get(code) ?? 0) + 1);
      for (const [code, n] of times) {
        const earlierLine = firstLine.get(code);
        if (earlierLine === undefined) firstLine.set(code, line.lineId);
        const where =
          earlierLine === undefined && ctx.input.soldTraceCodes?.soldBefore(code)
            ? 'sold-before'
            : earlierLine !== undefined || n > 1
              ? 'this-sale'
              : undefined;
        if (!where) continue;
        const scannedOn = earlierLine ?? line.lineId;
        ctx.emit({
          lineId: line.lineId,
          key: code,
          summary: { zh: '追溯码重复：疑似回流药', en: 'Duplicate trace code: possibly a resold box' },
          detail:
            where === 'this-sale'
              ? {
                  zh: `追溯码 ${code} 在本单中已扫描过（明细 ${scannedOn}）。`,
                  en: `Trace code ${code} was already scanned in this sale (line ${scannedOn}).`,
                }
              : {
                  zh: `追溯码 ${code} 对应的药盒此前已售出，不得再次医保结算（回流药）。`,
                  en: `The box with trace code ${code} was sold before: it must not be billed again (resold drug).`,
                },
          evidence: { traceCode: code, where },
          actions: [{ kind: 'remove-line', lineId: line.lineId }],
        });
      }
    }
  },
};
