/**
 * Helpers shared by the code validators in this folder; not part of the public API (index.ts does not
 * re-export them).
 *
 * A validator returns a {@link Failure} rather than throwing, so that its `isValid…` and `check…` forms
 * share one decision and cannot drift apart. The texts never quote the input: a mistyped code can be
 * someone's ID number, and a scan can be anything.
 */

/** Why a code was refused, in both languages the error carries. */
export interface Failure {
  readonly en: string;
  readonly zh: string;
}

/** The kind of a non-string value, for "must be a string" messages; naming the kind reveals nothing. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Index of the first character that is not an ASCII digit in `text[from, to)`, or -1. */
export function firstNonDigit(text: string, from = 0, to = text.length): number {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return i;
  }
  return -1;
}

/**
 * Describes the character at `index` as a till operator would need to hear it. Full-width digits get
 * their own wording because they are the usual cause: a Chinese input method left in full-width mode
 * turns typed digits into U+FF10–U+FF19, which look right on screen.
 */
export function describeCharacter(text: string, index: number, expected: Failure): Failure {
  const c = text.charCodeAt(index);
  const position = index + 1;
  if (c >= 0xff10 && c <= 0xff19) {
    return {
      en: `character ${position} is a full-width digit; switch the input method to half-width`,
      zh: `第 ${position} 位是全角数字，请将输入法切换为半角`,
    };
  }
  if (c === 0x20 || c === 0x3000 || (c >= 0x09 && c <= 0x0d)) {
    return { en: `character ${position} is a space or line break`, zh: `第 ${position} 位是空格或换行` };
  }
  return { en: `character ${position} is not ${expected.en}`, zh: `第 ${position} 位不是${expected.zh}` };
}

/** `[label, detail]` joined into one sentence per language. */
export function failure(label: Failure, detail: Failure): Failure {
  return { en: `${label.en}: ${detail.en}`, zh: `${label.zh}：${detail.zh}` };
}
