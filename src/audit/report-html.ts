/*
 * The self-audit as one self-contained HTML page for the pharmacy and the inspectors: inline CSS, inline SVG charts
 * (fund at stake by rule, monthly trend), the summaries and the full ledger; no script, no external file, every
 * text escaped. Prints on A4 landscape with table headers repeated on each page. Imports nothing from the core at
 * run time.
 */
import { OUTCOME_TEXT, SEVERITY_TEXT, overrideText, yuanGrouped } from './format.js';
import type { LedgerSummaryRow, SelfAuditReport } from './types.js';

/** Escapes text for HTML content and attribute values alike. */
function esc(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#d1d5db;--bar:#b91c1c;--bar2:#2563eb;--bg:#f9fafb}
*{box-sizing:border-box}
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",system-ui,sans-serif;color:var(--ink);margin:24px;font-size:13px;line-height:1.5}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:2px solid var(--ink);padding-bottom:2px}
.en{color:var(--muted);font-weight:normal;font-size:.85em}
.meta{color:var(--muted);margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px;background:var(--bg)}
.card b{display:block;font-size:18px}
.notes li{margin:2px 0}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{border:1px solid var(--line);padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f4f6}td.n,th.n{text-align:right;white-space:nowrap}
tr.block td:first-child{border-left:4px solid var(--bar)}tr.warning td:first-child{border-left:4px solid #d97706}
svg{max-width:100%;height:auto}svg text{font-size:12px;fill:var(--ink)}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0;flex:1 1 420px}
figcaption{font-weight:bold;margin-bottom:4px}
@page{size:A4 landscape;margin:12mm}
@media print{
  body{margin:0;font-size:10px}
  h2{break-after:avoid}
  thead{display:table-header-group}
  tr,figure,.card{break-inside:avoid}
  .charts{display:block}.charts figure{margin-bottom:8px}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

/** Horizontal bars: fund at stake per rule (or findings, when no money is at stake at all). */
function ruleChart(rows: readonly LedgerSummaryRow[]): string {
  if (rows.length === 0) return '<p>无问题 / no findings</p>';
  const byMoney = rows.some((r) => r.atStakeFen > 0);
  const value = (r: LedgerSummaryRow) => (byMoney ? r.atStakeFen : r.findings);
  const max = Math.max(1, ...rows.map(value));
  const labelW = 230;
  const barW = 360;
  const rowH = 24;
  const h = rows.length * rowH + 8;
  const bars = rows
    .map((r, i) => {
      const y = 4 + i * rowH;
      const w = Math.max(value(r) > 0 ? 2 : 0, Math.round((value(r) / max) * barW));
      const label = r.label ? `${r.label.zh}` : r.key;
      const text = byMoney ? `${yuanGrouped(r.atStakeFen)} 元 · ${r.findings}` : `${r.findings}`;
      return (
        `<text x="${labelW - 6}" y="${y + 16}" text-anchor="end">${esc(label)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}" fill="#b91c1c"><title>${esc(`${label} (${r.key}): ${text}`)}</title></rect>` +
        `<text x="${labelW + w + 6}" y="${y + 16}">${esc(text)}</text>`
      );
    })
    .join('');
  const title = byMoney
    ? '涉及基金金额（元）与问题数 / fund at stake (yuan) and findings, by rule'
    : '问题数 / findings, by rule';
  return `<svg class="chart-rules" role="img" viewBox="0 0 ${labelW + barW + 170} ${h}" width="${labelW + barW + 170}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${bars}</svg>`;
}

/** Columns per month: fund at stake, with the number of findings above each. */
function monthChart(rows: readonly LedgerSummaryRow[]): string {
  if (rows.length === 0) return '<p>无问题 / no findings</p>';
  const max = Math.max(1, ...rows.map((r) => r.atStakeFen));
  const colW = Math.max(28, Math.min(64, Math.floor(640 / rows.length)));
  const chartH = 180;
  const top = 20;
  const left = 10;
  const w = left * 2 + rows.length * colW;
  const h = top + chartH + 34;
  const cols = rows
    .map((r, i) => {
      const x = left + i * colW;
      const bh = r.atStakeFen > 0 ? Math.max(2, Math.round((r.atStakeFen / max) * chartH)) : 0;
      const y = top + chartH - bh;
      return (
        `<rect x="${x + 4}" y="${y}" width="${colW - 8}" height="${bh}" fill="#2563eb"><title>${esc(`${r.key}: ${yuanGrouped(r.atStakeFen)} 元, ${r.findings} 个问题 / findings`)}</title></rect>` +
        `<text x="${x + colW / 2}" y="${y - 4}" text-anchor="middle">${esc(r.findings)}</text>` +
        `<text x="${x + colW / 2}" y="${top + chartH + 16}" text-anchor="middle">${esc(r.key.slice(2))}</text>`
      );
    })
    .join('');
  const axis = `<line x1="${left}" y1="${top + chartH}" x2="${w - left}" y2="${top + chartH}" stroke="#6b7280"/>`;
  return `<svg class="chart-months" role="img" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title>${esc('每月涉及基金金额与问题数 / fund at stake and findings per month')}</title>${axis}${cols}<text x="${left}" y="${h - 2}">${esc(`最高 max ${yuanGrouped(max)} 元`)}</text></svg>`;
}

function summaryTable(keyHeader: string, rows: readonly LedgerSummaryRow[], withLabel: boolean): string {
  if (rows.length === 0) return '<p>无 / none</p>';
  const head = `<tr><th>${keyHeader}</th>${withLabel ? '<th>名称 <span class="en">name</span></th>' : ''}<th class="n">问题数 <span class="en">findings</span></th><th class="n">禁止 <span class="en">block</span></th><th class="n">警告 <span class="en">warning</span></th><th class="n">已忽略 <span class="en">overridden</span></th><th class="n">涉及单数 <span class="en">sales</span></th><th class="n">涉及基金金额（元） <span class="en">fund at stake</span></th></tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.key)}</td>${withLabel ? `<td>${esc(r.label?.zh)}${r.label && r.label.en !== r.label.zh ? ` <span class="en">${esc(r.label.en)}</span>` : ''}</td>` : ''}<td class="n">${r.findings}</td><td class="n">${r.block}</td><td class="n">${r.warning}</td><td class="n">${r.overridden}</td><td class="n">${r.sales}</td><td class="n">${yuanGrouped(r.atStakeFen)}</td></tr>`,
    )
    .join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/**
 * A self-audit report as one self-contained HTML page (UTF-8, no script, no external file).
 *
 * @example
 * writeFileSync('self-audit.html', renderAuditHtmlNow(report, { title: '示范大药房 2026 年度自查' }))
 */
export function renderAuditHtmlNow(
  report: SelfAuditReport,
  options: { readonly title?: string; readonly generatedAt?: string } = {},
): string {
  const t = report.totals;
  const title = options.title ?? '医保基金使用自查自纠问题台账';
  const scope = [
    `期间 period: ${report.period.fromDate} — ${report.period.lastDate}`,
    report.pharmacyCodes.length ? `药店 pharmacy: ${report.pharmacyCodes.join(', ')}` : '',
    report.terminalIds.length ? `终端 terminals: ${report.terminalIds.join(', ')}` : '',
    report.mode === 'given'
      ? '规则：按指定规则包复核 / rules: the given pack for every sale'
      : '规则：按结算时生效的规则包复核 / rules: the pack in force at each sale',
    options.generatedAt ? `生成于 generated ${options.generatedAt}` : '',
  ].filter(Boolean);
  const card = (zh: string, en: string, value: string) =>
    `<div class="card">${esc(zh)} <span class="en">${esc(en)}</span><b>${esc(value)}</b></div>`;
  const cards = [
    card('复核销售', 'sales replayed', `${t.sales} 笔 / ${t.lines} 行`),
    card('医保支付', 'insured paid', `${yuanGrouped(t.insuredFen)} 元`),
    card(
      '问题数',
      'findings',
      `${t.findings}（禁止 ${t.block} · 警告 ${t.warning}${t.info ? ` · 提示 ${t.info}` : ''}）`,
    ),
    card('涉及销售', 'sales with findings', `${t.salesWithFindings} 笔`),
    card('涉及基金金额', 'fund at stake', `${yuanGrouped(t.atStakeFen)} 元`),
    card('收银时已忽略', 'overridden at the till', `${t.overridden}`),
    card('收银时未提示', 'not shown at the till', `${t.notShown}`),
  ].join('');
  const packs = report.packs
    .map(
      (p) =>
        `<li>${p.version === null ? '默认规则 defaults' : `${esc(p.packId ?? '')} v${esc(p.version)}`} — ${esc(p.source)}${p.verified ? '，签名已校验 signature verified' : ''} — ${p.sales} 笔 sales</li>`,
    )
    .join('');
  const notes = report.notes
    .map(
      (n) => `<li>${esc(n.text.zh)} <span class="en">${esc(n.text.en)}</span>${n.count ? `（${n.count}）` : ''}</li>`,
    )
    .join('');
  const ledger = report.entries
    .map(
      (e, i) =>
        `<tr class="${e.severity}"><td class="n">${i + 1}</td><td>${esc(e.date)}</td><td>${esc(e.saleId)}</td><td>${esc(e.lineId ?? '整单')}</td><td>${esc(e.productName ?? '')}</td><td>${esc(e.ruleTitle.zh)}</td><td>${esc(SEVERITY_TEXT[e.severity].zh)}</td><td>${esc(e.summary.zh)}</td><td class="n">${yuanGrouped(e.atStakeFen)}</td><td>${esc(OUTCOME_TEXT[e.tillOutcome].zh)}</td><td>${esc(overrideText(e))}</td><td>${esc(e.operatorId)}</td></tr>`,
    )
    .join('');
  const ledgerHead =
    '<tr><th class="n">序号</th><th>日期 <span class="en">date</span></th><th>销售单号 <span class="en">sale</span></th><th>明细 <span class="en">line</span></th><th>商品 <span class="en">product</span></th><th>问题类型 <span class="en">rule</span></th><th>程度 <span class="en">severity</span></th><th>问题描述 <span class="en">finding</span></th><th class="n">涉及基金（元） <span class="en">at stake</span></th><th>收银时 <span class="en">at the till</span></th><th>忽略原因 <span class="en">override</span></th><th>收银员 <span class="en">operator</span></th></tr>';
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)} <span class="en">Self-audit problem ledger</span></h1>
<p class="meta">${scope.map(esc).join(' · ')}</p>
<div class="cards">${cards}</div>
<p class="meta">涉及基金金额：问题明细分摊的医保支付（统筹基金 + 个人账户），扣除退费；同一明细只计一次。<span class="en">Fund at stake: the 医保 payment (pooled fund + personal account) shared out over the lines in question, less refunds; each line counted once.</span></p>
${notes ? `<h2>说明 <span class="en">Notes</span></h2><ul class="notes">${notes}</ul>` : ''}
<h2>规则包 <span class="en">Rule packs</span></h2><ul>${packs || '<li>—</li>'}</ul>
<h2>图表 <span class="en">Charts</span></h2>
<div class="charts"><figure><figcaption>按问题类型 <span class="en">by rule</span></figcaption>${ruleChart(report.byRule)}</figure><figure><figcaption>按月趋势 <span class="en">monthly trend</span></figcaption>${monthChart(report.byMonth)}</figure></div>
<h2>按问题类型汇总 <span class="en">By rule</span></h2>${summaryTable('规则 <span class="en">rule</span>', report.byRule, true)}
<h2>按月汇总 <span class="en">By month</span></h2>${summaryTable('月份 <span class="en">month</span>', report.byMonth, false)}
<h2>按商品汇总 <span class="en">By product</span></h2>${summaryTable('商品编码 <span class="en">product</span>', report.byProduct, true)}
<h2>按收银员汇总 <span class="en">By operator</span></h2>${summaryTable('收银员 <span class="en">operator</span>', report.byOperator, false)}
<h2>问题台账 <span class="en">Ledger</span>（${report.entries.length}）</h2>
${report.entries.length ? `<table class="ledger"><thead>${ledgerHead}</thead><tbody>${ledger}</tbody></table>` : '<p>未发现问题 / no findings</p>'}
</body></html>
`;
}
