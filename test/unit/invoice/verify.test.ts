/**
 * verifyChain and verifyInvoice against each way a chain can be wrong, one at a time: each test tampers with a good
 * chain in one way and expects exactly the issue that names it, at its position.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isYibaoGuardError, type SignedInvoice } from '../../../src/index.js';
import { canonicalJson } from '../../../src/crypto/index.js';
import { invoiceHash, verifyChain, verifyInvoice, type ChainReport } from '../../../src/invoice/index.js';
import { chainOf, clone, keyOf, otherKey, rechain, sale, signBody, till } from './helpers.js';
import { TWEETNACL } from './fallback.js';

const kinds = (report: ChainReport) => report.issues.map((i) => [i.kind, i.index, i.seq]);

describe('verifyChain: a good chain', () => {
  it('is ok, with its head, counts and keys', async () => {
    const { records, keys } = await chainOf(6);
    const report = await verifyChain(records, keys);
    expect(report).toMatchObject({
      ok: true,
      issues: [],
      count: 6,
      first: 1,
      last: 6,
      signed: 6,
      unsigned: 0,
      backend: 'webcrypto',
    });
    expect(report.head).toEqual({ seq: 6, hash: await invoiceHash(records[5]!) });
    expect(report.keys).toEqual([{ keyId: 'T01-K1', publicKey: keys[0]!.publicKey, source: 'given' }]);
  });

  it('gives the same verdict with tweetnacl alone', async () => {
    const { records, keys } = await chainOf(3);
    const tampered = clone(records);
    tampered[1]!.body.lines[0]!.name = '别的药';
    expect(kinds(await verifyChain(tampered, keys, TWEETNACL))).toEqual(kinds(await verifyChain(tampered, keys)));
    expect((await verifyChain(records, keys, TWEETNACL)).backend).toBe('tweetnacl');
  });

  it('is empty and ok for no records, and refuses keys that are not keys', async () => {
    expect(await verifyChain([], [])).toMatchObject({ ok: true, count: 0 });
    const error = await verifyChain([], [{ keyId: 'K', publicKey: 'short' }]).catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
  });
});

describe('verifyChain: tampering, one kind at a time', () => {
  it('bad signature: a record signed with another key that the chain was then built on', async () => {
    const { t, records, keys } = await chainOf(6);
    // A forger without the key rewrites the chain from seq 4 on, signing with a key of their own under the same id.
    const forged = await rechain(clone(records), 3, await otherKey());
    const report = await verifyChain(forged, keys);
    expect(kinds(report)).toEqual([3, 4, 5].map((i) => ['bad-signature', i, i + 1]));
    expect(report.issues[0]!.detail.zh).toMatch(/签名校验失败/);
    // The key holder's own records before it are fine.
    expect(kinds(await verifyChain(forged.slice(0, 3), keys))).toEqual([]);
    void t;
  });

  it('bad signature: the last record, whose signature fails with nothing after it', async () => {
    const { records, keys } = await chainOf(4);
    const forged = clone(records);
    forged[3] = await signBody(forged[3]!.body, await otherKey());
    expect(kinds(await verifyChain(forged, keys))).toEqual([['bad-signature', 3, 4]]);
  });

  it('altered field: a line changed after the next invoice was issued', async () => {
    const { records, keys } = await chainOf(6);
    const altered = clone(records);
    altered[2]!.body.lines[0]!.name = '别的药';
    const report = await verifyChain(altered, keys);
    expect(kinds(report)).toEqual([['altered', 2, 3]]);
    expect(report.issues[0]!.detail).toEqual({
      zh: '第 3 号在开具后被改动（内容或签名）：签名不符，第 4 号链接的也不是这条记录',
      en: 'invoice 3 was changed after it was issued (content or signature): its signature fails and invoice 4 is not built on it',
    });
  });

  it('altered field: the payment split, the seq, the settlement id, the signature itself', async () => {
    const { records, keys } = await chainOf(6);
    const changes: ((r: SignedInvoice) => void)[] = [
      (r) => Object.assign(r.body.split, { fundFen: 100, cashFen: r.body.split.cashFen - 100 }),
      (r) => Object.assign(r.body, { seq: 40 }),
      (r) => Object.assign(r.body, { setlId: 'SETL9999' }),
      (r) => Object.assign(r, { sig: `${r.sig!.startsWith('A') ? 'B' : 'A'}${r.sig!.slice(1)}` }),
    ];
    for (const change of changes) {
      const altered = clone(records);
      change(altered[3]!);
      expect(kinds(await verifyChain(altered, keys))).toEqual([['altered', 3, altered[3]!.body.seq]]);
    }
  });

  it('altered field: a record replaced and re-signed by someone holding the key', async () => {
    const { t, records, keys } = await chainOf(6);
    const replaced = clone(records);
    replaced[3] = await signBody({ ...replaced[3]!.body, setlId: 'SETL9999' }, await keyOf(t));
    const report = await verifyChain(replaced, keys);
    expect(kinds(report)).toEqual([['altered', 3, 4]]);
    expect(report.issues[0]!.detail.en).toMatch(/replaced.*re-issued by a key holder/);
  });

  it('gap: numbers skipped while the hash chain is whole', async () => {
    const { t, records, keys } = await chainOf(6);
    // Someone with the key drops seq 4 and re-chains the rest without renumbering.
    const gapped = await rechain([...records.slice(0, 3), ...records.slice(4)], 3, await keyOf(t));
    const report = await verifyChain(gapped, keys);
    expect(kinds(report)).toEqual([['gap', 3, 4]]);
    expect(report.issues[0]!.detail.zh).toBe('缺号：第 4 号从未开具（本票据直接链接第 3 号）');
  });

  it('duplicate number: the same record twice', async () => {
    const { records, keys } = await chainOf(5);
    expect(kinds(await verifyChain([...records.slice(0, 3), records[2]!, ...records.slice(3)], keys))).toEqual([
      ['duplicate', 3, 3],
    ]);
  });

  it('duplicate number: a number issued twice, both chained', async () => {
    const { t, records, keys } = await chainOf(5);
    const again = { ...records[2]!, body: { ...records[2]!.body, setlId: 'AGAIN' } };
    const chain = await rechain([...records.slice(0, 3), again, ...records.slice(3)], 3, await keyOf(t));
    expect(kinds(await verifyChain(chain, keys))).toEqual([['duplicate', 3, 3]]);
  });

  it('duplicate number: two records claiming the same predecessor at the end', async () => {
    const { t, records, keys } = await chainOf(5);
    const fork = await signBody({ ...records[4]!.body, setlId: 'FORK' }, await keyOf(t));
    const report = await verifyChain([...records, fork], keys);
    expect(kinds(report)).toEqual([['duplicate', 5, 5]]);
    expect(report.issues[0]!.detail.zh).toBe('重号：又一张第 5 号票据链接在第 4 号之后');
  });

  it('reordering: two records swapped', async () => {
    const { records, keys } = await chainOf(6);
    const swapped = [...records.slice(0, 2), records[3]!, records[2]!, ...records.slice(4)];
    const report = await verifyChain(swapped, keys);
    expect(kinds(report)).toEqual([['reordered', 2, 4]]);
    expect(report.issues[0]!.detail.en).toBe('out of order: invoice 4 belongs after invoice 3');
  });

  it('reordering: the last record moved to the front', async () => {
    const { records, keys } = await chainOf(5);
    expect(kinds(await verifyChain([records[4]!, ...records.slice(0, 4)], keys))).toEqual([['reordered', 0, 5]]);
  });

  it('deletion: a record taken out of the middle, of the start, of the end (with a known head)', async () => {
    const { records, keys } = await chainOf(6);
    const middle = await verifyChain([...records.slice(0, 2), ...records.slice(4)], keys);
    expect(kinds(middle)).toEqual([['deleted', 2, 3]]);
    expect(middle.issues[0]!.detail.zh).toBe('第 3–4 号被删除：第 5 号所链接的前一张票据不在此处');
    expect(kinds(await verifyChain(records.slice(1), keys))).toEqual([['deleted', 0, 1]]);
    const head = { seq: 6, hash: await invoiceHash(records[5]!) };
    expect(kinds(await verifyChain(records.slice(0, 4), keys, { head }))).toEqual([['deleted', 4, 5]]);
    // A stretch of a chain is fine when asked for as such.
    expect(kinds(await verifyChain(records.slice(2), keys, { partial: true }))).toEqual([]);
  });

  it('insertion: a record no later record is built on, between two that link directly', async () => {
    const { t, records, keys } = await chainOf(6);
    // Signed with the real key, numbered as the next one, built on the right predecessor: still not in the chain.
    const fake = await signBody(
      { ...records[3]!.body, setlId: 'FAKE', lines: sale(99_900).lines, split: sale(99_900).split },
      await keyOf(t),
    );
    const report = await verifyChain([...records.slice(0, 3), fake, ...records.slice(3)], keys);
    expect(kinds(report)).toEqual([['inserted', 3, 4]]);
    expect(report.issues[0]!.detail.en).toBe(
      'inserted: not part of the chain (invoice 4 is built directly on invoice 3); it repeats number 4',
    );
    const junk = await signBody({ ...records[3]!.body, seq: 40, prevHash: 'a'.repeat(64) }, await otherKey());
    expect(kinds(await verifyChain([...records.slice(0, 3), junk, ...records.slice(3)], keys))).toEqual([
      ['inserted', 3, 40],
    ]);
  });

  it('refund of something that does not exist, of something that is not a sale, and beyond the sale', async () => {
    const { t, records, keys } = await chainOf(3);
    const key = await keyOf(t);
    const next = async (body: Partial<SignedInvoice['body']>, prev: SignedInvoice) =>
      signBody(
        {
          ...records[0]!.body,
          seq: prev.body.seq + 1,
          prevHash: await invoiceHash(prev),
          ...body,
        } as SignedInvoice['body'],
        key,
      );
    const ghost = await next({ kind: 'refund', reverses: { seq: 2, hash: 'b'.repeat(64) } }, records[2]!);
    const ghostReport = await verifyChain([...records, ghost], keys);
    expect(kinds(ghostReport)).toEqual([['unknown-reversal', 3, 4]]);
    expect(ghostReport.issues[0]!.detail.zh).toBe('退费所指的原票据（第 2 号）在票据链中不存在');

    const refund = await next(
      { kind: 'refund', reverses: { seq: 1, hash: await invoiceHash(records[0]!) } },
      records[2]!,
    );
    expect(kinds(await verifyChain([...records, refund], keys))).toEqual([]);
    const refundOfRefund = await next({ kind: 'void', reverses: { seq: 4, hash: await invoiceHash(refund) } }, refund);
    expect(kinds(await verifyChain([...records, refund, refundOfRefund], keys))).toEqual([['unknown-reversal', 4, 5]]);
    const again = await next({ kind: 'refund', reverses: { seq: 1, hash: await invoiceHash(records[0]!) } }, refund);
    expect(kinds(await verifyChain([...records, refund, again], keys))).toEqual([['excess-reversal', 4, 5]]);
  });

  it('key not valid at that time: outside its validity, unknown, retired by a rotation, used before it', async () => {
    const { t, records, keys } = await chainOf(4);
    const key = keys[0]!;
    expect(kinds(await verifyChain(records, [{ ...key, validUntil: records[2]!.body.issuedAt - 1 }]))).toEqual([
      ['key-not-valid', 2, 3],
      ['key-not-valid', 3, 4],
    ]);
    expect(kinds(await verifyChain(records, [{ ...key, validFrom: records[1]!.body.issuedAt + 1 }]))).toEqual([
      ['key-not-valid', 0, 1],
      ['key-not-valid', 1, 2],
    ]);
    expect(kinds(await verifyChain(records, [{ ...key, keyId: 'T01-K9' }])).map((k) => k[0])).toEqual([
      'key-not-valid',
      'key-not-valid',
      'key-not-valid',
      'key-not-valid',
    ]);

    // Rotate to K2, then forge a record with the retired K1 (a stolen old key).
    const old = await keyOf(t);
    await t.book.rotateKey({ keyId: 'T01-K2' });
    t.clock.advance(60_000);
    await t.book.issue(sale(800));
    const rotated = await t.book.records();
    expect(kinds(await verifyChain(rotated, keys))).toEqual([]);
    const last = rotated[rotated.length - 1]!;
    const stolen = await signBody(
      { ...last.body, keyId: 'T01-K1', seq: last.body.seq + 1, prevHash: await invoiceHash(last) },
      old,
    );
    const report = await verifyChain([...rotated, stolen], keys);
    expect(kinds(report)).toEqual([['key-not-valid', 6, 7]]);
    expect(report.issues[0]!.detail.zh).toBe('密钥 T01-K1 已在第 5 号密钥更换后停用，不能再签名');
    // A K2 signature placed before the rotation that introduced it.
    const early = await signBody({ ...rotated[1]!.body, keyId: 'T01-K2' }, await keyOf(t, 'T01-K2'));
    expect(kinds(await verifyChain([rotated[0]!, early], keys))).toEqual([['key-not-valid', 1, 2]]);
  });

  it('unsigned: a receipt without a catch-up record after it', async () => {
    const { t, keys } = await chainOf(2);
    let down = true;
    const real = await keyOf(t);
    await t.book.unlock({
      signer: {
        ...real,
        keyId: 'T01-K1',
        sign: async (m) => (down ? Promise.reject(new Error('HSM offline')) : real.sign(m)),
      },
    });
    await t.book.issue(sale(500));
    const report = await verifyChain(await t.book.records(), keys);
    expect(kinds(report)).toEqual([['unsigned', 2, 3]]);
    down = false;
    await t.book.catchUp();
    expect(await verifyChain(await t.book.records(), keys)).toMatchObject({
      ok: true,
      unsigned: 1,
      unsignedCovered: 1,
    });
  });

  it('malformed: not an invoice, a field of the wrong form, an extra member', async () => {
    const { records, keys } = await chainOf(4);
    const extra = clone(records);
    (extra[1]!.body as unknown as Record<string, unknown>).buyer = '张三';
    const wrong = clone(records);
    wrong[2]!.body.prevHash = wrong[2]!.body.prevHash.toUpperCase();
    const report = await verifyChain([records[0]!, extra[1]!, wrong[2]!, { nope: 1 }], keys);
    expect(kinds(report)).toEqual([
      ['malformed', 1, 2],
      ['malformed', 2, 3],
      ['malformed', 3, null],
    ]);
    expect(report.issues[0]!.detail.en).toMatch(/body/);
  });

  it('malformed: text that has no canonical JSON (a lone surrogate) is named as such, not as a bad signature encoding', async () => {
    const { records, keys } = await chainOf(2);
    const lone = clone(records);
    (lone[1]!.body.split as unknown as Record<string, unknown>)['\ud800'] = 1;
    const report = await verifyChain(lone, keys);
    expect(kinds(report)).toEqual([['malformed', 1, 2]]);
    expect(report.issues[0]!.detail.en).toContain('no canonical JSON');
    expect(report.issues[0]!.detail.en).not.toContain('base64url');
    const name = clone(records);
    name[1]!.body.lines[0]!.name = '阿托伐他汀\udc00';
    expect(kinds(await verifyChain(name, keys))).toEqual([['malformed', 1, 2]]);
  });
});

describe('verifyInvoice', () => {
  it('checks one record: ok, its hash; a changed one; an unsigned one; an unknown key', async () => {
    const { records, keys } = await chainOf(2);
    const good = await verifyInvoice(records[1], keys);
    expect(good).toMatchObject({ ok: true, issues: [], hash: await invoiceHash(records[1]!) });
    const changed = clone(records[1]!);
    changed.body.split = { ...changed.body.split };
    changed.body.lines[0]!.specification = '10mg*7片';
    expect((await verifyInvoice(changed, keys)).issues.map((i) => i.kind)).toEqual(['bad-signature']);
    expect((await verifyInvoice({ ...records[1]!, sig: null }, keys)).issues.map((i) => i.kind)).toEqual(['unsigned']);
    expect((await verifyInvoice(records[1], [])).issues.map((i) => i.kind)).toEqual(['key-not-valid']);
    expect(await verifyInvoice('nonsense', keys)).toMatchObject({
      ok: false,
      hash: null,
      issues: [{ kind: 'malformed', index: 0 }],
    });
  });

  it('accepts a record from any till of the same key set', async () => {
    const t = await till();
    const issued = await t.book.issue(sale(1200));
    expect((await verifyInvoice(issued.record, await t.book.keys())).ok).toBe(true);
  });
});

describe('verifyChain: any change is found where it is', () => {
  it('detects any single changed byte in any invoice of a chain, and reports that invoice’s index', async () => {
    const { t, keys } = await chainOf(5);
    await t.book.issue({ kind: 'refund', reverses: 2, ...sale(300) });
    const records = await t.book.records();
    const texts = records.map((r) => new TextEncoder().encode(canonicalJson(r)));
    const decoder = new TextDecoder('utf-8', { fatal: false });
    await fc.assert(
      fc.asyncProperty(
        fc.nat(records.length - 1),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (index, at, delta) => {
          const bytes = (texts[index] as Uint8Array).slice();
          const position = at % bytes.length;
          bytes[position] = ((bytes[position] as number) + delta) & 0xff;
          const text = decoder.decode(bytes);
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            value = text; // what no longer parses is handed over as it is
          }
          const changed = records.slice() as unknown[];
          changed[index] = value;
          const report = await verifyChain(changed, keys);
          expect(report.ok).toBe(false);
          expect(report.issues.map((i) => i.index)).toContain(index);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});

describe('verification never throws for what it is given to check', () => {
  it('reports any values as records, and any text as an export or a QR code', async () => {
    const { verifyInvoiceExport, verifyInvoiceQr } = await import('../../../src/invoice/index.js');
    const { records, keys } = await chainOf(2);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.anything(), fc.constant(records[0]), fc.constant(records[1]))),
        fc.string(),
        async (values, text) => {
          const report = await verifyChain(values, keys);
          expect(report.count).toBe(values.length);
          await verifyInvoiceExport(text, keys);
          await verifyInvoiceQr(text, keys);
        },
      ),
      { numRuns: 150 },
    );
  });
});
