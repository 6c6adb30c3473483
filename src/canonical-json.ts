import { InputError } from './errors/index.js';

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units, no white space, strings and
 * numbers written as ECMAScript's JSON.stringify writes them. Signer and verifier get the same bytes from the
 * same value whatever the key order it was built or parsed in. Used for request signatures (`cainfo`),
 * invoices and rule packs.
 *
 * `undefined` object members are left out, as JSON.stringify does; a non-finite number, a BigInt, a function, or a
 * string or member name with a lone surrogate (not I-JSON, which RFC 8785 requires: it has no UTF-8 form, so a
 * verifier elsewhere could not reproduce the bytes signed) is refused with `InputError` `INVALID_INPUT` rather than
 * written as something else.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, 'x'] }) // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '');
}

/** A UTF-16 code unit of a surrogate pair standing alone (the `u` flag reads a well-formed pair as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `text` is well-formed UTF-16: no lone surrogate, so it has a UTF-8 form and can be signed (RFC 8785 takes
 * I-JSON only). The one check behind canonical JSON, the schemas' text fields and storage keys.
 *
 * @example
 * isWellFormedText('阿托伐他汀𠀀') // true
 * isWellFormedText('\ud800') // false
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function refuse(path: string, what: string, whatZh = what): never {
  // The path holds member names: written with \uXXXX for any lone surrogate, so the error text is well-formed.
  const where = path.replace(/\p{Cs}/gu, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`);
  throw new InputError('INVALID_INPUT', {
    message: `Cannot write canonical JSON: ${what} at ${where || '(root)'}`,
    messageZh: `无法生成规范 JSON：${where || '(根)'} 处为${whatZh}`,
    field: where || '(root)',
  });
}

const LONE_EN = 'with a lone surrogate (half of a UTF-16 pair: not I-JSON, which RFC 8785 requires)';
const LONE_ZH = '含孤立代理项（UTF-16 代理对只有一半，不符合 RFC 8785 要求的 I-JSON）';

function write(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormedText(value)) refuse(path, `a string ${LONE_EN}`, `${LONE_ZH}的字符串`);
      return JSON.stringify(value);
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(path, 'a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value))
        return `[${value.map((item, i) => (item === undefined ? 'null' : write(item, path ? `${path}.${i}` : String(i)))).join(',')}]`;
      const record = value as Record<string, unknown>;
      if (typeof (record as { toJSON?: unknown }).toJSON === 'function')
        return write((record as { toJSON: () => unknown }).toJSON(), path);
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys
        .map((key) => {
          const at = path ? `${path}.${key}` : key;
          if (!isWellFormedText(key)) refuse(at, `a member name ${LONE_EN}`, `${LONE_ZH}的成员名`);
          return `${JSON.stringify(key)}:${write(record[key], at)}`;
        })
        .join(',')}}`;
    }
    default:
      return refuse(path, typeof value === 'bigint' ? 'a BigInt' : `a ${typeof value}`);
  }
}
