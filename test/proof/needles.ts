/**
 * What the privacy proofs look for in raw bytes (a database file, its WAL, a browser profile): a person's full
 * 身份证 number and full name, in every encoding a store may write text in (UTF-8 for SQLite and JSON; UTF-16LE
 * and Latin-1 for strings V8 serialises into IndexedDB's LevelDB files).
 */

/** One thing that must not be found, named for the report without printing it. */
export interface Needle {
  readonly what: string;
  readonly value: string;
}

/** A person's full 身份证 number and full name, as needles named by `key`. */
export function personNeedles(
  people: readonly { readonly key: string; readonly residentId: string; readonly name: string }[],
): Needle[] {
  return people.flatMap((p) => [
    { what: `${p.key}'s 身份证`, value: p.residentId },
    { what: `${p.key}'s name`, value: p.name },
  ]);
}

/**
 * The byte sequences a text may be stored as: UTF-8, UTF-16LE, and Latin-1 when every character fits; an ending x
 * either case.
 */
function encodings(value: string): Buffer[] {
  const spellings = new Set([value, value.toUpperCase(), value.toLowerCase()]);
  const out: Buffer[] = [];
  for (const text of spellings) {
    out.push(Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le'));
    if ([...text].every((c) => c.charCodeAt(0) < 0x100)) out.push(Buffer.from(text, 'latin1'));
  }
  return out;
}

/**
 * Every occurrence of every needle in the files, as `"<what> in <file> at <offset>"` (one line per hit: the count
 * is the figure a report gives). Never the needle itself.
 */
export function needleHits(
  files: readonly { readonly what: string; readonly bytes: Buffer }[],
  needles: readonly Needle[],
): string[] {
  const hits: string[] = [];
  for (const needle of needles) {
    const patterns = encodings(needle.value);
    for (const file of files) {
      const offsets = new Set<number>();
      for (const pattern of patterns) {
        for (let at = file.bytes.indexOf(pattern); at >= 0; at = file.bytes.indexOf(pattern, at + 1)) offsets.add(at);
      }
      for (const at of [...offsets].sort((a, b) => a - b)) hits.push(`${needle.what} in ${file.what} at ${at}`);
    }
  }
  return hits;
}
