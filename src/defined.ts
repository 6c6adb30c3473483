/**
 * Optional fields under `exactOptionalPropertyTypes`: `{ ...defined({ note, psnNo: buyer?.psnNo }) }` has `note` and
 * `psnNo` only where they are not `undefined`, instead of one `...(x !== undefined ? { x } : {})` per field.
 */

/** The keys of `T` whose value may be `undefined`. */
type MaybeKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

/** `T` with every key that may be `undefined` made optional, and `undefined` taken out of its value. */
export type Defined<T> = { [K in Exclude<keyof T, MaybeKeys<T>>]: T[K] } & {
  [K in MaybeKeys<T>]?: Exclude<T[K], undefined>;
};

/** A copy of `fields` without the properties whose value is `undefined`. */
export function defined<T extends object>(fields: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const value = (fields as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as Defined<T>;
}
