import { fenToYuan } from '../../money.js';
import { FUND_ELIGIBLE_CATEGORIES, PRODUCT_CATEGORY_ZH } from '../../schemas/product.js';
import type { Check } from '../compile.js';

/**
 * 串换 (seed 003 attachment 2, 定点药店 (一)): what was scanned is not what is billed — a non-reimbursable good
 * (保健品, 日用品, 食品, 化妆品, 器械) or a 丙类 drug (insurance class C) billed to the fund, a line billed under
 * another product's 医保 code, or a scanned barcode or box that belongs to a different product than the line bills.
 * Only fund lines are checked (a box of another product on a 自费 line is `trace-code-mismatch`'s).
 */
export const substitution: Check<'substitution'> = {
  id: 'substitution',
  line(line, product, ctx) {
    if (line.payMode !== 'fund') return;
    const fix = [
      { kind: 'remove-line' as const, lineId: line.lineId },
      { kind: 'switch-to-self-pay' as const, lineId: line.lineId },
    ];
    if (!product) {
      ctx.emit({
        lineId: line.lineId,
        key: 'unknown',
        summary: {
          zh: `串换风险：商品不在本店目录中，却按医保结算`,
          en: 'Substitution risk: a product missing from the catalog billed to the fund',
        },
        detail: {
          zh: `明细 ${line.lineId} 的商品编号在本店商品目录中查不到，不能确认其医保属性。`,
          en: `Line ${line.lineId}: its product id is not in the pharmacy catalog, so it cannot be billed to the fund.`,
        },
        evidence: { productId: line.productId, medListCode: line.medListCode ?? null },
        actions: fix,
      });
      return;
    }
    if (!FUND_ELIGIBLE_CATEGORIES.has(product.category)) {
      ctx.emit({
        lineId: line.lineId,
        key: 'category',
        summary: {
          zh: `串换：${PRODUCT_CATEGORY_ZH[product.category]}不能按医保结算`,
          en: `Substitution: a ${product.category} item billed to the fund`,
        },
        detail: {
          zh: `“${product.genericName}”属于${PRODUCT_CATEGORY_ZH[product.category]}，不属于医保基金支付范围，却以医保编码 ${line.medListCode ?? '（无）'} 结算。`,
          en: `"${product.genericName}" is a ${product.category} product outside the fund's scope, billed under code ${line.medListCode ?? '(none)'}.`,
        },
        evidence: { productId: product.productId, category: product.category, billedCode: line.medListCode ?? null },
        actions: fix,
      });
      return;
    }
    // A drug the catalog puts in 丙类 (C: outside the fund's scope) billed to the fund is the seed's "将不属于医保基金
    // 支付的药品…纳入医保基金结算", whatever code the line carries.
    if (product.insuranceClass === 'C') {
      ctx.emit({
        lineId: line.lineId,
        key: 'class',
        summary: {
          zh: `串换：丙类（医保不予支付）药品不能按医保结算`,
          en: 'Substitution: a class C drug (not paid by the fund) billed to the fund',
        },
        detail: {
          zh: `“${product.genericName}”在医保目录中属丙类（自费），不属于医保基金支付范围，却以医保编码 ${line.medListCode ?? '（无）'} 结算。`,
          en: `"${product.genericName}" is class C (self-pay) in the catalog, outside the fund's scope, billed under code ${line.medListCode ?? '(none)'}.`,
        },
        evidence: { productId: product.productId, insuranceClass: 'C', billedCode: line.medListCode ?? null },
        actions: fix,
      });
      return;
    }
    if (line.medListCode !== product.medListCode) {
      ctx.emit({
        lineId: line.lineId,
        key: 'code',
        summary: { zh: '串换：结算医保编码与实际商品不符', en: 'Substitution: billed under another product’s code' },
        detail: {
          zh: `实际商品“${product.genericName}”的医保编码为 ${product.medListCode}，本行却以 ${line.medListCode ?? '（无）'} 结算。`,
          en: `The product "${product.genericName}" has code ${product.medListCode}, but the line bills ${line.medListCode ?? '(none)'}.`,
        },
        evidence: {
          productId: product.productId,
          productCode: product.medListCode ?? null,
          billedCode: line.medListCode ?? null,
        },
        actions: fix,
      });
    }
    const scanned = line.gtin ? ctx.catalog.byGtin(line.gtin) : undefined;
    if (scanned && scanned.productId !== product.productId) {
      ctx.emit({
        lineId: line.lineId,
        key: 'gtin',
        summary: { zh: '串换：扫描的条码属于另一商品', en: 'Substitution: the scanned barcode is another product' },
        detail: {
          zh: `扫描条码 ${line.gtin} 对应“${scanned.genericName}”，本行却按“${product.genericName}”结算。`,
          en: `Barcode ${line.gtin} is "${scanned.genericName}", but the line bills "${product.genericName}".`,
        },
        evidence: { gtin: line.gtin ?? null, scannedProductId: scanned.productId, billedProductId: product.productId },
        actions: fix,
      });
    }
    for (const code of new Set(line.traceCodes)) {
      const boxed = ctx.catalog.byTracePrefix(code.slice(0, 7));
      if (boxed && boxed.productId !== product.productId && boxed.medListCode !== product.medListCode) {
        ctx.emit({
          lineId: line.lineId,
          key: `box:${code}`,
          summary: { zh: '串换：药盒追溯码属于另一商品', en: 'Substitution: the box’s trace code is another product' },
          detail: {
            zh: `追溯码 ${code} 的药品标识码对应“${boxed.genericName}”，本行却按“${product.genericName}”结算。`,
            en: `Trace code ${code} identifies "${boxed.genericName}", but the line bills "${product.genericName}".`,
          },
          evidence: { traceCode: code, boxProductId: boxed.productId, billedProductId: product.productId },
          actions: fix,
        });
      }
    }
  },
};

/**
 * 限定支付范围 (seed 003 attachment 2, 定点药店 (三)): the fund pays for a restricted drug only for the buyers the
 * catalog names (sex, age, 慢特病 qualification). Not met → warning with "switch to 自费"; a restriction stated
 * only in words is shown for the pharmacist to confirm.
 */
export const paymentScope: Check<'payment-scope'> = {
  id: 'payment-scope',
  line(line, product, ctx) {
    const restriction = product?.paymentRestriction;
    if (!restriction || line.payMode !== 'fund' || !product) return;
    const buyer = ctx.input.buyer;
    const failed: { zh: string; en: string }[] = [];
    if (restriction.sex && buyer?.sex !== restriction.sex) {
      failed.push({ zh: `限${restriction.sex === 'male' ? '男性' : '女性'}`, en: `${restriction.sex} only` });
    }
    if (restriction.minAge !== undefined && (buyer?.age === undefined || buyer.age < restriction.minAge)) {
      failed.push({ zh: `限 ${restriction.minAge} 岁及以上`, en: `age ${restriction.minAge} or over` });
    }
    if (restriction.maxAge !== undefined && (buyer?.age === undefined || buyer.age > restriction.maxAge)) {
      failed.push({ zh: `限 ${restriction.maxAge} 岁及以下`, en: `age ${restriction.maxAge} or under` });
    }
    const diseaseUnmet =
      restriction.diseaseCodes !== undefined && !restriction.diseaseCodes.some((code) => buyer?.chronic.includes(code));
    if (diseaseUnmet) {
      failed.push({
        zh: `限已备案的慢特病（${restriction.diseaseCodes!.join('、')}）`,
        en: `registered chronic disease (${restriction.diseaseCodes!.join(', ')})`,
      });
    }
    const amount = fenToYuan(line.amountFen);
    if (diseaseUnmet && failed.length === 1 && buyer?.chronicSource === 'unconfirmed') {
      // The platform's registrations (5301) could not be asked: the qualification is not known, only not shown.
      ctx.emit({
        lineId: line.lineId,
        key: 'unconfirmed',
        severity: 'warning',
        summary: {
          zh: `慢特病备案无法核实：${product.genericName}`,
          en: `Chronic-disease registration not confirmed: ${product.genericName}`,
        },
        detail: {
          zh: `“${product.genericName}”医保限${failed[0]!.zh}。暂时无法向医保平台查询购药人的慢特病备案，请核对备案凭证；无法确认时按自费结算（${amount} 元）。`,
          en: `The fund pays for "${product.genericName}" only for a ${failed[0]!.en}. The platform's registrations could not be asked: check the buyer's registration papers, or sell it as self-pay (${amount} yuan).`,
        },
        evidence: {
          productId: product.productId,
          unmet: failed[0]!.en,
          registrations: 'unconfirmed',
          amountFen: line.amountFen,
        },
        actions: [{ kind: 'switch-to-self-pay', lineId: line.lineId }],
      });
    } else if (failed.length > 0) {
      // Registrations the platform answered for (5301) make an unmet disease a known one: the fund must not pay.
      const known = diseaseUnmet && buyer?.chronicSource === 'platform';
      ctx.emit({
        lineId: line.lineId,
        key: 'unmet',
        ...(known ? { confirmedByPlatform: true } : {}),
        summary: {
          zh: `超限定支付范围：${product.genericName}`,
          en: `Outside the payment scope: ${product.genericName}`,
        },
        detail: {
          zh: `“${product.genericName}”医保限定支付：${failed.map((f) => f.zh).join('；')}。购药人不符合${known ? '（医保平台的慢特病备案中没有该病种）' : ''}，应按自费结算（${amount} 元）。${restriction.text ? `目录说明：${restriction.text}` : ''}`,
          en: `The fund pays for "${product.genericName}" only for: ${failed.map((f) => f.en).join('; ')}. The buyer does not qualify${known ? " (the platform's chronic-disease registrations do not list it)" : ''}; sell it as self-pay (${amount} yuan).`,
        },
        evidence: {
          productId: product.productId,
          unmet: failed.map((f) => f.en).join('; '),
          ...(known ? { registrations: 'platform' } : {}),
          amountFen: line.amountFen,
        },
        actions: [{ kind: 'switch-to-self-pay', lineId: line.lineId }],
      });
    } else if (
      restriction.text &&
      !restriction.sex &&
      restriction.minAge === undefined &&
      restriction.maxAge === undefined &&
      !restriction.diseaseCodes
    ) {
      ctx.emit({
        lineId: line.lineId,
        key: 'text',
        severity: 'info',
        summary: {
          zh: `请核对限定支付范围：${product.genericName}`,
          en: `Check the payment scope: ${product.genericName}`,
        },
        detail: { zh: `目录限定：${restriction.text}`, en: `Catalog restriction (in words): ${restriction.text}` },
        evidence: { productId: product.productId },
        actions: [{ kind: 'switch-to-self-pay', lineId: line.lineId }],
      });
    }
  },
};
