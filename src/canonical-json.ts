import { InputError } from './errors/index.js';

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units, no white space, strings and
 * numbers written as ECMAScript's JSON.stringify writes them. Signer and verifier get the same bytes from the
 * same value whatever the key order it was built or parsed in. Used for request signatures (`cainfo`),
 * invoices and rule packs.
 *
 * `undefined` object members are left out, as JSON.stringify does; a non-finite number, a BigInt or a
 * function is refused with `InputError` `INVALID_INPUT` rather than written as something else.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, 'x'] }) // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '');
}

function refuse(path: string, what: string): never {
  throw new InputError('INVALID_INPUT', {
    message: `Cannot write canonical JSON: ${what} at ${path || '(root)'}`,
    messageZh: `无法生成规范 JSON：${path || '(根)'} 处为${what}`,
    field: path || '(root)',
  });
}

function write(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(path, 'a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item, i) => (item === undefined ? 'null' : write(item, `${path}.${i}`))).join(',')}]`;
      const record = value as Record<string, unknown>;
      if (typeof (record as { toJSON?: unknown }).toJSON === 'function') return write((record as { toJSON: () => unknown }).toJSON(), path);
      const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], path ? `${path}.${key}` : key)}`).join(',')}}`;
    }
    default:
      return refuse(path, typeof value === 'bigint' ? 'a BigInt' : `a ${typeof value}`);
  }
}
