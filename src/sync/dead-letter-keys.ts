import { maskPersonalData } from '../codes/index.js';

/*
 * How dead letters are stored: their key, and an operator's note as kept on them.
 */

/** Dead letters are keyed by their outbox seq, zero-padded so that key order is delivery order. */
export function deadKey(seq: number): string {
  return String(seq).padStart(12, '0');
}

/**
 * An operator's note as stored: any 身份证 or mobile number masked (staff type what the buyer says), at most 500
 * characters.
 */
export function noteText(text: string): string {
  return maskPersonalData(String(text)).slice(0, 500);
}
