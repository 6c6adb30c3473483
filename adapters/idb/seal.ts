/// <reference lib="dom" />
/*
 * The encryption of personal stores' records (AES-256-GCM under a key per record, bound to its store and key).
 */
import type { SealedRow } from './schema.js';

/** A value sealed for one record: the row to store and its key. */
export interface Sealed {
  readonly json: string;
  readonly c: Uint8Array;
  readonly i: Uint8Array;
  readonly key: Uint8Array;
}

/** What a sealed record's ciphertext is bound to: its store and key, so a row moved elsewhere does not open. */
const boundTo = (store: string, key: string): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(`yibao-guard/idb\u0000${store}\u0000${key}`);

/** Encrypts `json` for (store, key) under a fresh random key. */
export async function seal(subtle: SubtleCrypto, store: string, key: string, json: string): Promise<Sealed> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cryptoKey = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const c = new Uint8Array(
    await subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: boundTo(store, key) },
      cryptoKey,
      new TextEncoder().encode(json),
    ),
  );
  return { json, c, i: iv, key: raw };
}

/** The JSON text of a sealed row, or undefined when it does not open (no key, a wrong key, changed bytes). */
export async function unseal(
  subtle: SubtleCrypto,
  store: string,
  key: string,
  row: Partial<SealedRow>,
  raw: unknown,
): Promise<string | undefined> {
  if (!(raw instanceof Uint8Array) || !(row.c instanceof Uint8Array) || !(row.i instanceof Uint8Array))
    return undefined;
  try {
    const cryptoKey = await subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, ['decrypt']);
    const plain = await subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(row.i), additionalData: boundTo(store, key) },
      cryptoKey,
      new Uint8Array(row.c),
    );
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return undefined;
  }
}
