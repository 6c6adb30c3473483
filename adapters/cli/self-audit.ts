import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fenToYuan, isYibaoGuardError, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../src/index.js';
import {
  parseInput,
  ProductSchema,
  RulePackSchema,
  SignedRulePackSchema,
  type RulePack,
} from '../../src/schemas/index.js';
import { formatCstTime } from '../../src/platform/index.js';
import {
  catalogFromSales,
  renderAuditCsv,
  renderAuditHtml,
  selfAudit,
  type SelfAuditProgress,
} from '../../src/audit/index.js';
import { createCatalog, type Catalog } from '../../src/engine.js';
import { createSqliteStorage } from '../sqlite/index.js';
import { parseCommand, usageError, type CliIo } from './args.js';
import { CliUsageError, missingValue } from './usage-error.js';
import { defined } from '../../src/defined.js';

/*
 * `yibao-guard self-audit`: 自查自纠 over a till's SQLite database. Replays the period's sales, prints the totals and
 * writes the ledger as HTML, CSV or JSON. Exit 0 when the report was made (findings or not), 1 when it could not be
 * (an unreadable database or catalog), 2 for a usage error.
 */

export const SELF_AUDIT_USAGE = `用法 / usage:
  yibao-guard self-audit --db <till.sqlite> --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--out <report.html|.csv|.json>] [options]
选项 / options:
  --db        收银终端的 SQLite 数据库（自查只读取，不写入任何记录）/ the till's SQLite database (the audit writes no record)
  --from      开始日期（含，中国时间）/ first day, included (China time)
  --to        截止日期（不含）：全年为 --from 2026-01-01 --to 2027-01-01 / end day, NOT included: a year is --from 2026-01-01 --to 2027-01-01
  --out       报告文件：.html 图表报告，.csv 问题台账（Excel 可直接打开），.json 完整数据；不给则只打印汇总
              the report: .html with charts, .csv the ledger (opens in Excel), .json all data; without it only the totals print
  --catalog   商品目录 JSON 文件（商品数组，或 {"products": [...]}）。强烈建议提供：
              不提供时按销售明细中的商品编码、医保编码、名称和追溯码推得目录，处方药、限定支付、用药天数、
              重点药品等需要目录信息的规则将无法核查（报告中会注明）
              the product catalog as JSON (an array of products, or {"products": [...]}). Strongly advised: without it
              the catalog is inferred from the sales' lines (id, insurance code, name, trace codes), and the rules that
              need catalog facts (Rx, payment restrictions, days of supply, key drugs) cannot check anything (the report says so)
  --pack      current：全部按数据库中当前生效的规则包复核（“按现行规则会发现什么”）；或规则包 JSON 文件
              默认按每笔销售结算时生效的规则包复核
              current: replay every sale under the pack in force now ("what would today's rules catch"), or a pack JSON
              file; by default each sale is replayed under the pack in force when it settled
  --table     CSV 输出哪张表：ledger（默认）、rules、months、products、operators / which table a CSV holds
  --info      台账包含“提示”类问题 / include info findings
  --title     报告标题 / the report's title`;

interface Options {
  readonly db: string;
  readonly from: string;
  readonly to: string;
  readonly out?: string;
  readonly catalog?: string;
  readonly pack?: string;
  readonly table?: 'ledger' | 'rules' | 'months' | 'products' | 'operators';
  readonly info: boolean;
  readonly title?: string;
}

const TABLES = ['ledger', 'rules', 'months', 'products', 'operators'] as const;

/** The options, or a usage error already printed (`--help`: the usage, exit 0). */
function parseOptions(args: readonly string[], io: CliIo): Options | { code: 0 | 2 } {
  const text = { type: 'string' } as const;
  const parsed = parseCommand(args, io, {
    usage: SELF_AUDIT_USAGE,
    options: {
      db: text,
      from: text,
      to: text,
      out: text,
      catalog: text,
      pack: text,
      table: text,
      title: text,
      info: { type: 'boolean', default: false },
    },
  });
  if ('code' in parsed) return parsed;
  const { info, ...given } = parsed.values;
  const refuse = (error: CliUsageError) => usageError(io, SELF_AUDIT_USAGE, error);
  const missing = (zh: string, en: string) => refuse(new CliUsageError('USAGE_MISSING_ARGUMENT', zh, en));
  const bad = (zh: string, en: string, detail?: string) => refuse(new CliUsageError('USAGE_BAD_VALUE', zh, en, detail));
  for (const [name, value] of Object.entries(given)) if (value === '') return refuse(missingValue(`--${name}`));
  const { db, from, to, out, catalog, pack, table, title } = given;
  if (!db) return missing('请用 --db 给出数据库文件', 'give the database with --db');
  if (!from || !to) return missing('请用 --from 和 --to 给出自查期间', 'give the period with --from and --to');
  for (const day of [from, to])
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return bad('日期须为 YYYY-MM-DD', 'dates are YYYY-MM-DD', day);
  if (out && !['.html', '.htm', '.csv', '.json'].includes(extname(out).toLowerCase())) {
    return bad('--out 须以 .html、.csv 或 .json 结尾', '--out must end in .html, .csv or .json');
  }
  if (table && !(TABLES as readonly string[]).includes(table)) {
    return bad(`--table 须为 ${TABLES.join('、')} 之一`, `--table is one of ${TABLES.join(', ')}`);
  }
  return {
    db,
    from,
    to,
    info,
    ...defined({ out: out || undefined, catalog: catalog || undefined, pack: pack || undefined }),
    ...(table ? { table: table as Options['table'] & string } : {}),
    ...defined({ title: title || undefined }),
  };
}

function loadCatalog(file: string): Catalog {
  const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const list = Array.isArray(json) ? json : (json as { products?: unknown }).products;
  if (!Array.isArray(list)) throw new Error('not a list of products');
  return createCatalog(
    list.map((p, i) => parseInput(ProductSchema, p, { en: `Product ${i + 1}`, zh: `第 ${i + 1} 个商品` })),
  );
}

function loadPack(file: string): RulePack {
  const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const signed = SignedRulePackSchema.safeParse(json);
  return signed.success ? signed.data.pack : parseInput(RulePackSchema, json, { en: 'Rule pack', zh: '规则包' });
}

/**
 * Runs `yibao-guard self-audit` with its arguments (after the command name) and returns the exit code.
 *
 * @example
 * await runSelfAudit(['--db', 'till.sqlite', '--from', '2026-01-01', '--to', '2027-01-01', '--out', 'report.html'], io)
 * // 0
 */
export async function runSelfAudit(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(args, io);
  if ('code' in options) return options.code;
  if (!existsSync(options.db)) {
    io.err(`数据库文件不存在 / no such database file: ${options.db}`);
    return 1;
  }
  let storage: Storage<TerminalLayout> | undefined;
  try {
    storage = await createSqliteStorage({ file: options.db, names: TERMINAL_NAMES });
    let catalog: Catalog;
    if (options.catalog) catalog = loadCatalog(options.catalog);
    else {
      catalog = await catalogFromSales(storage);
      io.err(
        '未提供 --catalog：按销售明细推得商品目录，需要目录信息的规则无法核查 / no --catalog: the catalog is inferred from the sales, rules needing catalog facts cannot check',
      );
    }
    let rulePack: RulePack | undefined;
    if (options.pack === 'current') {
      const current = await storage.get('rulePacks', 'current');
      if (!current) {
        io.err('数据库中没有当前规则包 / the database holds no current rule pack');
        return 1;
      }
      rulePack = parseInput(SignedRulePackSchema, current.value, { en: 'Rule pack', zh: '规则包' }).pack;
    } else if (options.pack) rulePack = loadPack(options.pack);

    let shown = 0;
    const onProgress = (p: SelfAuditProgress) => {
      if (p.phase !== 'replaying' || p.salesDone - shown < 5000) return;
      shown = p.salesDone;
      io.err(`已复核 / replayed ${p.salesDone}/${p.salesTotal}`);
    };
    const report = await selfAudit({
      storage,
      catalog,
      from: options.from,
      to: options.to,
      includeInfo: options.info,
      onProgress,
      ...defined({ rulePack }),
    });
    const t = report.totals;
    io.out(
      [
        `自查期间 / period: ${report.period.fromDate} — ${report.period.lastDate}（${report.mode === 'given' ? '指定规则包 / given pack' : '结算时生效的规则包 / pack in force at each sale'}）`,
        `复核销售 / sales replayed: ${t.sales}（${t.lines} 行 / lines），医保支付 / insured paid: ${fenToYuan(t.insuredFen)} 元`,
        `问题 / findings: ${t.findings}（禁止 block ${t.block}，警告 warning ${t.warning}${t.info ? `，提示 info ${t.info}` : ''}；收银时已忽略 overridden ${t.overridden}，未提示 not shown ${t.notShown}）`,
        `涉及销售 / sales with findings: ${t.salesWithFindings}，涉及基金金额 / fund at stake: ${fenToYuan(t.atStakeFen)} 元`,
        ...report.byRule.map(
          (r) => `  ${r.label?.zh ?? r.key} (${r.key}): ${r.findings}，${fenToYuan(r.atStakeFen)} 元`,
        ),
        ...report.notes.map((n) => `注意 / note: ${n.text.zh} / ${n.text.en}`),
      ].join('\n'),
    );
    if (options.out) {
      const ext = extname(options.out).toLowerCase();
      const text =
        ext === '.csv'
          ? await renderAuditCsv(report, options.table ? { table: options.table } : {})
          : ext === '.json'
            ? `${JSON.stringify(report, null, 2)}\n`
            : await renderAuditHtml(report, {
                generatedAt: formatCstTime(Date.now()),
                ...defined({ title: options.title || undefined }),
              });
      writeFileSync(options.out, text, 'utf8');
      io.out(`报告已写入 / report written: ${options.out}`);
    }
    return 0;
  } catch (error) {
    io.err(
      isYibaoGuardError(error)
        ? `${error.messageZh} / ${error.message} [${error.code}]`
        : `自查失败 / self-audit failed: ${(error as Error).message}`,
    );
    return 1;
  } finally {
    await storage?.close();
  }
}
