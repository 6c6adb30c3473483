import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
import { InputError, StorageError, YibaoGuardError, isYibaoGuardError } from '../../src/index.js';
import { ERROR_CATALOG, NotBuiltError } from '../../src/errors/index.js';

describe('YibaoGuardError', () => {
  it('carries a stable code, an English message, a Chinese message, the field and the cause', () => {
    const cause = new Error('disk full');
    const error = new StorageError('STORAGE_QUOTA', { field: 'sales', cause });
    expect(error).toBeInstanceOf(YibaoGuardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StorageError');
    expect(error.code).toBe('STORAGE_QUOTA');
    expect(error.message).toBe(ERROR_CATALOG.STORAGE_QUOTA.en);
    expect(error.messageZh).toBe(ERROR_CATALOG.STORAGE_QUOTA.zh);
    expect(error.field).toBe('sales');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe(
      `StorageError [STORAGE_QUOTA]: ${ERROR_CATALOG.STORAGE_QUOTA.zh} / ${ERROR_CATALOG.STORAGE_QUOTA.en}`,
    );
  });

  it('lets a thrower give precise messages and keeps the issues of an input error', () => {
    const error = new InputError('INVALID_INPUT', {
      message: 'Sale line is invalid',
      messageZh: '销售明细不正确',
      issues: [{ path: 'quantity', message: 'x' }],
    });
    expect(error.message).toBe('Sale line is invalid');
    expect(error.messageZh).toBe('销售明细不正确');
    expect(error.issues).toEqual([{ path: 'quantity', message: 'x' }]);
    expect('field' in error).toBe(false);
  });

  it('serialises to JSON without the cause or stack', () => {
    const json = JSON.parse(
      JSON.stringify(new StorageError('STORAGE_CLOSED', { cause: new Error('secret 11010519491231002X') })),
    );
    expect(json).toEqual({
      name: 'StorageError',
      code: 'STORAGE_CLOSED',
      message: ERROR_CATALOG.STORAGE_CLOSED.en,
      messageZh: ERROR_CATALOG.STORAGE_CLOSED.zh,
    });
  });

  it('names the entry that is not built yet', () => {
    const error = new NotBuiltError('idb');
    expect(error.code).toBe('NOT_BUILT_YET');
    expect(error.message).toContain('yibao-guard/idb');
    expect(error.messageZh).toContain('yibao-guard/idb');
  });

  it('has a Chinese and an English message for every code, and codes in SCREAMING_SNAKE_CASE', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(entry.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(entry.en).toMatch(/^[A-Z][ -~]+$/);
    }
  });
});

describe('isYibaoGuardError', () => {
  it('recognises our errors, and a given code only', () => {
    const error = new StorageError('STORAGE_CONFLICT');
    expect(isYibaoGuardError(error)).toBe(true);
    expect(isYibaoGuardError(error, 'STORAGE_CONFLICT')).toBe(true);
    expect(isYibaoGuardError(error, 'STORAGE_CLOSED')).toBe(false);
  });

  it('refuses other errors and non-errors', () => {
    for (const value of [
      new Error('x'),
      new TypeError('x'),
      null,
      undefined,
      'STORAGE_CLOSED',
      42,
      { code: 'STORAGE_CLOSED' },
      { name: 'Error', code: 'NOPE', messageZh: '' },
    ]) {
      expect(isYibaoGuardError(value)).toBe(false);
    }
  });

  it('works across realms: an error made in another VM context', () => {
    // The other realm has its own Error and its own prototype chain; only the brand or the name can tell.
    const foreign = runInNewContext(`
      const brand = Symbol.for('yibao-guard.error');
      class YibaoGuardError extends Error {}
      const e = new YibaoGuardError('x');
      e.name = 'InputError'; e.code = 'INVALID_GTIN'; e.messageZh = '商品条码无效';
      Object.defineProperty(e, brand, { value: true });
      e;
    `);
    expect(foreign instanceof YibaoGuardError).toBe(false);
    expect(isYibaoGuardError(foreign, 'INVALID_GTIN')).toBe(true);
  });

  it('works for an error that crossed a boundary as JSON', () => {
    const plain = JSON.parse(JSON.stringify(new InputError('INVALID_TRACE_CODE')));
    expect(isYibaoGuardError(plain, 'INVALID_TRACE_CODE')).toBe(true);
  });
});
