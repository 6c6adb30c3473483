/**
 * The platform's clock is China Standard Time (UTC+8, no daylight saving) whatever the terminal's time zone.
 * Inside, a time is epoch milliseconds from the injected clock; these functions are the only place it
 * becomes the wire's text and back.
 */

const CST_OFFSET_MS = 8 * 3600 * 1000;

function cstParts(epochMs: number): { y: string; mo: string; d: string; h: string; mi: string; s: string; ms: string } {
  const t = new Date(epochMs + CST_OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    y: pad(t.getUTCFullYear(), 4),
    mo: pad(t.getUTCMonth() + 1),
    d: pad(t.getUTCDate()),
    h: pad(t.getUTCHours()),
    mi: pad(t.getUTCMinutes()),
    s: pad(t.getUTCSeconds()),
    ms: pad(t.getUTCMilliseconds(), 3),
  };
}

/**
 * `yyyy-MM-dd HH:mm:ss` in CST, as `inf_time` and every `*_time` field want it.
 *
 * @example
 * formatCstTime(Date.UTC(2026, 10, 23, 2, 5, 9)) // '2026-11-23 10:05:09'
 */
export function formatCstTime(epochMs: number): string {
  const p = cstParts(epochMs);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/**
 * `yyyy-MM-dd` in CST: the calendar day at the counter.
 *
 * @example
 * formatCstDate(Date.UTC(2026, 10, 22, 17, 0)) // '2026-11-23' (01:00 the next morning in China)
 */
export function formatCstDate(epochMs: number): string {
  return formatCstTime(epochMs).slice(0, 10);
}

/**
 * `yyyyMMddHHmmss` in CST, the time part of a `msgid`.
 *
 * @example
 * formatCstCompact(Date.UTC(2026, 10, 23, 2, 5, 9)) // '20261123100509'
 */
export function formatCstCompact(epochMs: number): string {
  const p = cstParts(epochMs);
  return `${p.y}${p.mo}${p.d}${p.h}${p.mi}${p.s}`;
}

/**
 * `yyyyMMddHHmmssSSS` in CST, the response stamps `refmsg_time` and `respond_time`.
 *
 * @example
 * formatCstStamp(Date.UTC(2026, 10, 23, 2, 5, 9, 7)) // '20261123100509007'
 */
export function formatCstStamp(epochMs: number): string {
  return formatCstCompact(epochMs) + cstParts(epochMs).ms;
}

const CST_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * Reads a wire time `yyyy-MM-dd HH:mm:ss` (CST) as epoch ms, or undefined when it is not a real time.
 *
 * @example
 * parseCstTime('2026-11-23 10:05:09') // Date.UTC(2026, 10, 23, 2, 5, 9)
 */
export function parseCstTime(text: string): number | undefined {
  const m = CST_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const epoch = Date.UTC(y, mo - 1, d, h, mi, s) - CST_OFFSET_MS;
  // Date.UTC rolls 2026-02-30 over into March; a round trip catches that.
  return formatCstTime(epoch) === `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}` ? epoch : undefined;
}
