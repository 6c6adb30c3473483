import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../../../adapters/simulator/index.js';
import { renderAuditCsv, renderAuditHtml, selfAudit, type SelfAuditReport } from '../../../src/audit/index.js';
import { createCatalog } from '../../../src/engine.js';
import { memoryStorage, seed, seededSales } from './journal.js';

async function seededReport(): Promise<SelfAuditReport> {
  const storage = memoryStorage();
  await seed(storage, seededSales());
  return selfAudit({ storage, catalog: createCatalog(DEMO_CATALOG), from: '2026-10-01', to: '2026-12-01' });
}

/** RFC 4180 parsing, as Excel does it: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\r' && text[i + 1] === '\n') (row.push(field), rows.push(row), (row = []), (field = ''), i++);
    else field += c;
  }
  return rows;
}

/** A report whose texts carry markup, quotes, commas, line breaks and a formula. */
function hostile(report: SelfAuditReport): SelfAuditReport {
  const [first, ...rest] = report.entries;
  return {
    ...report,
    entries: [
      {
        ...first!,
        productName: '<script>alert("x")</script>阿莫西林',
        override: { reasonCode: 'other', note: '=HYPERLINK("http://evil")，说明, "引号"\n第二行', operatorId: 'OP7' },
      },
      ...rest,
    ],
    byRule: report.byRule.map((r, i) =>
      i === 0 ? { ...r, label: { zh: '<img src=x onerror=alert(1)>', en: 'x' } } : r,
    ),
  };
}

describe('renderAuditCsv', () => {
  it('starts with a BOM, ends lines with CRLF and round-trips every Chinese text and amount', async () => {
    const report = await seededReport();
    const csv = await renderAuditCsv(report);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(new TextEncoder().encode(csv).slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/\n/);
    const rows = parseCsv(csv.slice(1));
    expect(rows).toHaveLength(report.entries.length + 1);
    expect(rows[0]?.[1]).toBe('销售单号 (Sale ID)');
    expect(rows[0]?.[17]).toBe('涉及基金金额（元） (Fund at stake, yuan)');
    const s3 = rows[1]!;
    expect(s3.slice(0, 3)).toEqual(['1', 'S3', '2026-10-12']);
    expect(s3[8]).toBe('缬沙坦胶囊');
    expect(s3[11]).toBe('重复购药');
    expect(s3[17]).toBe('106.00');
    expect(s3[18]).toBe('已忽略 (overridden)');
    expect(s3[19]).toBe('已与开方医师确认 (doctor-confirmed)');
    expect(s3[20]).toBe('医生调整剂量');
    const s6 = rows[5]!;
    expect(s6[6]).toBe('整单 (whole sale)');
    expect(s6[17]).toBe('1700.00');
    expect(s6[20]).toBe('出院带药，已电话确认 138****5678');
    // Every row has the header's width.
    for (const row of rows) expect(row).toHaveLength(rows[0]!.length);
  });

  it('quotes commas, quotes and line breaks, and defuses formulas', async () => {
    const csv = await renderAuditCsv(hostile(await seededReport()));
    const row = parseCsv(csv.slice(1))[1]!;
    expect(row[8]).toBe('<script>alert("x")</script>阿莫西林');
    expect(row[20]).toBe('\'=HYPERLINK("http://evil")，说明, "引号"\n第二行');
  });

  it('writes the summaries as tables of their own', async () => {
    const report = await seededReport();
    const rules = parseCsv((await renderAuditCsv(report, { table: 'rules' })).slice(1));
    expect(rules[0]?.[0]).toBe('规则 (Rule)');
    expect(rules[1]).toEqual(['amount-limit', '超医保支付限额', '1', '0', '1', '0', '1', '1', '2', '1700.00']);
    const months = parseCsv((await renderAuditCsv(report, { table: 'months' })).slice(1));
    expect(months.slice(1).map((r) => [r[0], r[9]])).toEqual([
      ['2026-10', '106.00'],
      ['2026-11', '1737.00'],
    ]);
    expect(parseCsv((await renderAuditCsv(report, { table: 'products' })).slice(1))).toHaveLength(5);
    expect(parseCsv((await renderAuditCsv(report, { table: 'operators' })).slice(1))).toHaveLength(3);
  });
});

describe('renderAuditHtml', () => {
  it('is one self-contained page with both charts, the totals and every ledger row', async () => {
    const report = await seededReport();
    const html = await renderAuditHtml(report, {
      title: '示范大药房 2026 年第四季度自查',
      generatedAt: '2026-12-01 09:00',
    });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('示范大药房 2026 年第四季度自查');
    expect(html).toMatch(/<svg class="chart-rules"[^>]*>.*<\/svg>/s);
    expect(html).toMatch(/<svg class="chart-months"[^>]*>.*<\/svg>/s);
    // One bar per rule, one column per month.
    expect(html.match(/<svg class="chart-rules".*?<\/svg>/s)?.[0].match(/<rect /g)).toHaveLength(report.byRule.length);
    expect(html.match(/<svg class="chart-months".*?<\/svg>/s)?.[0].match(/<rect /g)).toHaveLength(2);
    expect(html).toContain('1,843.00'); // fund at stake in total, yuan
    expect(html).toContain('@media print');
    expect(html.match(/<tr class="(block|warning|info)">/g)).toHaveLength(report.entries.length);
    // Nothing from outside: no script, no stylesheet or image links, no remote URL but the SVG namespace.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
  });

  it('escapes every text it shows', async () => {
    const html = await renderAuditHtml(hostile(await seededReport()), { title: '<b>"自查"</b>' });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;阿莫西林');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(html).toContain('<title>&#60;b&#62;&#34;自查&#34;&#60;/b&#62;</title>');
  });

  it('says plainly when there is nothing to report', async () => {
    const storage = memoryStorage();
    const report = await selfAudit({
      storage,
      catalog: createCatalog(DEMO_CATALOG),
      from: '2026-10-01',
      to: '2026-12-01',
    });
    const html = await renderAuditHtml(report);
    expect(html).toContain('未发现问题 / no findings');
    expect(await renderAuditCsv(report)).toBe(`\uFEFF${(await renderAuditCsv(report)).slice(1).split('\r\n')[0]}\r\n`);
  });
});
