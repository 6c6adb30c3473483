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
      summary: { zh: `缺少追溯码：需 ${needed} 个，已扫 ${have} 个`, en: `Trace codes missing: ${have} of ${needed} scanned` },
      detail: {
        zh: `“${product.genericName}”每盒须扫描一个药品追溯码，本行 ${line.quantity}${product.packageUnit}，已扫 ${have} 个。`,
        en: `"${product.genericName}" needs one trace code per box: ${line.quantity} boxes, ${have} codes scanned.`,
      },
      evidence: { productId: product.productId, needed, scanned: have },
      actions: have > 0 ? [{ kind: 'reduce-quantity', lineId: line.lineId, quantity: have }] : [{ kind: 'remove-line', lineId: line.lineId }],
    });
  },
};

/** A box whose code's product prefix is not this product's (and not another known product: that is 串换). */
export const traceCodeMismatch: Check<'trace-code-mismatch'> = {
  id: 'trace-code-mismatch',
  line(line, product, ctx) {
    if (!product) return;
    for (const code of line.traceCodes) {
      const prefix = code.slice(0, 7);
      if (prefix === product.traceCodePrefix) continue;
      const other = ctx.catalog.byTracePrefix(prefix);
      if (other && (other.productId === product.productId || other.medListCode === product.medListCode)) continue;
      if (other) continue; // a known other product: the substitution rule reports it
      ctx.emit({
        lineId: line.lineId,
        key: code,
        summary: { zh: '追溯码与商品不符', en: 'Trace code does not match the product' },
        detail: {
          zh: `追溯码 ${code} 的药品标识码 ${prefix} 不是“${product.genericName}”的（${product.traceCodePrefix ?? '目录未登记'}）。`,
          en: `Trace code ${code} has product prefix ${prefix}, not that of "${product.genericName}" (${product.traceCodePrefix ?? 'none on file'}).`,
        },
        evidence: { traceCode: code, prefix, expectedPrefix: product.traceCodePrefix ?? null },
        actions: [{ kind: 'remove-line', lineId: line.lineId }],
      });
    }
  },
};

/** The same code twice in this sale, or sold before (here, or on the platform when online): 回流药. */
export const traceCodeDuplicate: Check<'trace-code-duplicate'> = {
  id: 'trace-code-duplicate',
  sale(ctx) {
    const seen = new Map<string, string>();
    for (const line of ctx.input.lines) {
      for (const code of line.traceCodes) {
        const earlierLine = seen.get(code);
        const where = earlierLine !== undefined ? 'this-sale' : ctx.input.soldTraceCodes?.soldBefore(code) ? 'sold-before' : undefined;
        seen.set(code, line.lineId);
        if (!where) continue;
        ctx.emit({
          lineId: line.lineId,
          key: code,
          summary: { zh: '追溯码重复：疑似回流药', en: 'Duplicate trace code: possibly a resold box' },
          detail:
            where === 'this-sale'
              ? { zh: `追溯码 ${code} 在本单中已扫描过（明细 ${earlierLine}）。`, en: `Trace code ${code} was already scanned in this sale (line ${earlierLine}).` }
              : { zh: `追溯码 ${code} 对应的药盒此前已售出，不得再次医保结算（回流药）。`, en: `The box with trace code ${code} was sold before: it must not be billed again (resold drug).` },
          evidence: { traceCode: code, where },
          actions: [{ kind: 'remove-line', lineId: line.lineId }],
        });
      }
    }
  },
};
