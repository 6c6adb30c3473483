import { createCatalog } from '../catalog/product-catalog.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { Product } from '../schemas/product.js';
import type { Storage } from '../storage/contract.js';
import { isSaleRecord } from './record-shape.js';
import { defined } from '../defined.js';

/**
 * A stand-in catalog from the sales' lines (see `catalogFromSales` in index.ts). A product billed under two codes keeps
 * the first, so the other shows as 串换.
 */
export async function catalogFromSales(
  storage: Storage<TerminalLayout>,
  options: { readonly pageSize?: number } = {},
): Promise<Catalog> {
  const pageSize = options.pageSize ?? 500;
  const seen = new Map<string, { product: Product; prefixes: Map<string, number> }>();
  for (let after: string | undefined; ;) {
    const page = await storage.list('sales', { ...defined({ after }), limit: pageSize });
    for (const { value } of page) {
      if (!isSaleRecord(value)) continue;
      for (const line of value.lines) {
        let entry = seen.get(line.productId);
        if (!entry) {
          const product: Product = {
            productId: line.productId,
            ...defined({ medListCode: line.medListCode }),
            genericName: line.name,
            specification: line.specification ?? '',
            // A fund-billable kind when it was billed with a 医保 code; otherwise goods the fund never pays for.
            category: line.medListCode !== undefined ? 'western-drug' : 'daily-goods',
            packageSize: 1,
            packageUnit: '盒',
            minUnit: '盒',
            rx: false,
            gtins: [],
            keyDrug: false,
          };
          seen.set(line.productId, (entry = { product, prefixes: new Map() }));
        } else if (entry.product.medListCode === undefined && line.medListCode !== undefined) {
          // Sold 自费 first, billed with a code later: it is a drug after all.
          entry.product = { ...entry.product, medListCode: line.medListCode, category: 'western-drug' };
        }
        for (const code of line.traceCodes) {
          const prefix = code.slice(0, 7);
          entry.prefixes.set(prefix, (entry.prefixes.get(prefix) ?? 0) + 1);
        }
      }
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]?.key;
  }
  const products: Product[] = [];
  for (const { product, prefixes } of seen.values()) {
    let best: string | undefined;
    for (const [prefix, n] of prefixes) if (best === undefined || n > (prefixes.get(best) ?? 0)) best = prefix;
    products.push(best !== undefined ? { ...product, traceCodePrefix: best } : product);
  }
  return createCatalog(products);
}
