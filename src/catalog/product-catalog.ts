import type { Product } from '../schemas/product.js';

/**
 * The pharmacy's product master with the indexes the till looks things up by: its own id, the retail barcode,
 * the 追溯码 product prefix, the 医保 code and the generic name. Built once (100k products in tens of
 * milliseconds); every lookup after that is one Map access, which is what keeps `review()` fast.
 */
export interface Catalog {
  readonly size: number;
  byId(productId: string): Product | undefined;
  byGtin(gtin: string): Product | undefined;
  byTracePrefix(prefix: string): Product | undefined;
  /** Products billed under a 医保 code (several packages of one drug share a code). */
  byMedListCode(code: string): readonly Product[];
  products(): Iterable<Product>;
}

/**
 * Indexes a product list. Later products win a GTIN or trace prefix claimed twice (a relabelled package), as a
 * catalog update would.
 *
 * @example
 * const catalog = createCatalog(products)
 * catalog.byGtin('6901234567892')?.genericName
 */
export function createCatalog(products: Iterable<Product>): Catalog {
  const ids = new Map<string, Product>();
  const gtins = new Map<string, Product>();
  const prefixes = new Map<string, Product>();
  const codes = new Map<string, Product[]>();
  for (const product of products) {
    ids.set(product.productId, product);
    for (const gtin of product.gtins) gtins.set(gtin, product);
    if (product.traceCodePrefix) prefixes.set(product.traceCodePrefix, product);
    if (product.medListCode) {
      const list = codes.get(product.medListCode);
      if (list) list.push(product);
      else codes.set(product.medListCode, [product]);
    }
  }
  return {
    size: ids.size,
    byId: (id) => ids.get(id),
    byGtin: (gtin) => gtins.get(gtin),
    byTracePrefix: (prefix) => prefixes.get(prefix),
    byMedListCode: (code) => codes.get(code) ?? [],
    products: () => ids.values(),
  };
}
