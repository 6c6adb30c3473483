/**
 * yibao-guard/schemas: the zod/mini schemas of every record that comes from outside (scans, platform answers,
 * rule packs, stored records), the types inferred from them, and `parseInput`.
 *
 * @packageDocumentation
 */
export * from './primitives.js';
export * from './parse.js';
export * from './person.js';
export * from './voucher.js';
export * from './product.js';
export * from './prescription.js';
export * from './sale.js';
export * from './invoice.js';
export * from './stock.js';
export * from './rule-pack.js';
export * from './finding.js';
export * from './audit.js';
