import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { isValidGtin, isValidResidentId, residentIdInfo } from '../../src/codes/index.js';
import {
  FUND_ELIGIBLE_CATEGORIES,
  PrescriptionSchema,
  ProductSchema,
  PurchaseMovementSchema,
} from '../../src/schemas/index.js';
import {
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  DEMO_PRESCRIPTIONS,
  DEMO_STOCK,
  DEMO_TRACE_CODES,
} from '../../adapters/simulator/index.js';
import { KEY_DRUG_LIST } from '../../adapters/simulator/seed/key-drugs.js';

describe('demo data', () => {
  it('gives every person a valid 身份证 matching their birth date and sex, and a distinct psn_no and card', () => {
    const people = Object.values(DEMO_PEOPLE);
    for (const p of people) {
      expect(isValidResidentId(p.residentId), p.key).toBe(true);
      const info = residentIdInfo(p.residentId);
      expect(info.birthDate).toBe(p.birthDate);
      expect(info.sex === 'male' ? '1' : '2').toBe(p.gend);
      expect(p.card.cardSn).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    for (const key of ['psnNo', 'residentId'] as const)
      expect(new Set(people.map((p) => p[key])).size).toBe(people.length);
    expect(new Set(people.map((p) => p.card.cardNo)).size).toBe(people.length);
    expect(Object.keys(DEMO_PEOPLE).sort()).toEqual([
      'active',
      'blacklisted',
      'child',
      'chronic',
      'deceased',
      'nonlocal',
      'resident',
      'suspended',
      'terminated',
    ]);
    expect(Object.keys(DEMO_PHARMACIES)).toEqual(['active', 'suspended']);
  });

  it('builds a catalog of valid Products: real key-drug names and forms, codes, barcodes and trace prefixes in shape', () => {
    for (const p of DEMO_CATALOG) {
      expect(ProductSchema.safeParse(p).success, p.productId).toBe(true);
      for (const gtin of p.gtins) expect(isValidGtin(gtin) && gtin.startsWith('693')).toBe(true);
      if (p.medListCode) expect(p.medListCode).toMatch(/^[XZTC][A-Za-z0-9]{19,26}$/);
      if (p.traceCodePrefix) expect(p.traceCodePrefix).toMatch(/^8\d{6}$/);
    }
    const unique = (pick: (p: (typeof DEMO_CATALOG)[number]) => unknown) =>
      new Set(DEMO_CATALOG.map(pick).filter((v) => v !== undefined)).size;
    expect(unique((p) => p.productId)).toBe(DEMO_CATALOG.length);
    expect(unique((p) => p.medListCode)).toBe(DEMO_CATALOG.filter((p) => p.medListCode).length);
    expect(unique((p) => p.traceCodePrefix)).toBe(DEMO_CATALOG.filter((p) => p.traceCodePrefix).length);
    expect(DEMO_CATALOG.filter((p) => p.keyDrug && p.category === 'western-drug').map((p) => p.dosageForm)).toEqual(
      KEY_DRUG_LIST.western.map((w) => w.dosageForm),
    );
    expect(DEMO_CATALOG.some((p) => !p.rx && p.medListCode)).toBe(true);
    expect(DEMO_CATALOG.some((p) => p.paymentRestriction?.diseaseCodes)).toBe(true);
    expect(DEMO_CATALOG.filter((p) => !FUND_ELIGIBLE_CATEGORIES.has(p.category)).map((p) => p.category)).toEqual(
      expect.arrayContaining(['health-product', 'daily-goods']),
    );
  });

  it('transcribes seed 003 attachment 1 exactly', () => {
    // test/fixtures/key-drugs.json is a byte-for-byte copy of the design folder's data/key-drugs.json (seed 003,
    // 漳医保〔2023〕39号, attachment 1, as structured data; sha256 686c50e6…a315d3c8), kept in the repository so that
    // a clone tests on its own: nothing here reads a folder beside the repository.
    const source = new URL('../fixtures/key-drugs.json', import.meta.url);
    expect(existsSync(source), 'test/fixtures/key-drugs.json').toBe(true);
    const json = JSON.parse(readFileSync(source, 'utf8')) as Record<string, unknown>;
    expect(KEY_DRUG_LIST).toEqual({
      western: json['western'],
      patent: json['patent'],
      herbalPieces: json['herbalPieces'],
      consumables: json['consumables'],
    });
  });

  it('has valid prescriptions, opening stock and trace codes', () => {
    for (const rx of Object.values(DEMO_PRESCRIPTIONS))
      expect(z.safeParse(PrescriptionSchema, rx).success, rx.rxNo).toBe(true);
    for (const m of DEMO_STOCK) {
      expect(z.safeParse(PurchaseMovementSchema, m).success, m.movementId).toBe(true);
      const p = DEMO_CATALOG.find((c) => c.productId === m.productId);
      for (const code of m.traceCodes) expect(code.startsWith(p?.traceCodePrefix ?? '-')).toBe(true);
    }
    const codes = DEMO_STOCK.flatMap((m) => m.traceCodes);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toContain(DEMO_TRACE_CODES.resold);
    for (const code of DEMO_TRACE_CODES.fresh) expect(codes).toContain(code);
  });
});
