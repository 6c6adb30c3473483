import {
  InputError,
  isYibaoGuardError,
  maskPersonalData,
  type Finding,
  type Prescription,
  type SaleLine,
  type TerminalLayout,
} from '../../src/index.js';
import { lineAmountFen, residentIdInfo } from '../../src/codes/index.js';
import { FUND_ELIGIBLE_CATEGORIES } from '../../src/schemas/index.js';
import type { WriteOp } from '../../src/storage/index.js';
import { formatCstDate } from '../../src/platform/index.js';
import { indexHistory, reviewSale, type BuyerFacts } from '../../src/engine.js';
import { operatorIdOf, type HisCaller } from './auth.js';
import { toCard, type IssuedCard, type Language } from './cards.js';
import { HisError } from './errors.js';
import { dropExpired, expiryOps, retryOnConflict } from './retention.js';
import { HisCardRecordSchema, type HisCardRecord, type HisContext, type HisHook } from './schemas.js';
import { IN_PROCESS, rulesFor, type HisServiceContext } from './service-context.js';
import type { HookResponse } from './service.js';
import { defined } from '../../src/defined.js';

/*
 * A hook call: the context's orders as sale lines (and, at order hooks, as the prescription being written), the
 * till's rule engine over them, the findings as cards, and the cards kept for feedback with the review audited.
 */

/** Token identities remembered per card. */
const MAX_HOLDERS = 16;

/** One hook call, the context validated: the cards, kept for feedback, and the review in the audit trail. */
export async function runHook(
  ctx: HisServiceContext,
  hook: HisHook,
  serviceId: string,
  context: HisContext,
  hookInstance: string,
  language: Language,
  caller: HisCaller | undefined,
): Promise<HookResponse> {
  const { options } = ctx;
  const now = ctx.clock.now();
  const compiled = rulesFor(ctx, hook);
  const buyer = buyerOf(context, now);
  const saleId = context.encounterId ?? hookInstance;
  const { lines, prescriptions } = linesOf(ctx, hook, context, buyer, now);
  const history = context.history?.map(({ daysSupply, ...p }) => (daysSupply === undefined ? p : { ...p, daysSupply }));
  let findings: Finding[] = reviewSale(compiled, options.catalog, {
    lines,
    prescriptions,
    ...defined({ buyer }),
    pharmacy: { agreement: ctx.agreement },
    now,
    ...(history ? { history: indexHistory(history) } : {}),
    ...(options.soldTraceCodes && hook === 'yibao-presettle' ? { soldTraceCodes: options.soldTraceCodes } : {}),
    ...defined({ stock: options.stock }),
  });
  if (hook === 'order-select' && context.selections) {
    const selected = new Set(context.selections);
    findings = findings.filter((f) => f.lineId === undefined || selected.has(f.lineId));
  }
  const reasons = [...compiled.overrideReasons.values()];
  const orderNames = new Map(lines.map((l) => [l.lineId, l.name]));
  const issued = await Promise.all(
    findings.map((finding) => toCard(finding, { hook, saleId, language, reasons, orderNames })),
  );
  const operatorId = operatorIdOf(context.userId);
  const review: WriteOp<TerminalLayout>[] =
    options.auditReviews === false
      ? []
      : [
          {
            op: 'append',
            journal: 'audit',
            value: {
              kind: 'sale-review',
              at: now,
              saleId,
              operatorId,
              ...(compiled.pack ? { packVersion: compiled.pack.version } : {}),
              findings: findings.map(findingRef),
            },
          },
        ];
  const holder = { identity: caller?.key ?? IN_PROCESS, userId: context.userId };
  const reasonCodes = [...compiled.overrideReasons.keys()];
  await storeCards(ctx, issued, review, { serviceId, saleId, holder, reasons: reasonCodes, now });
  await dropExpired(ctx.storage, 'hisCards', now, { limit: 64 + issued.length, keep: ctx.maxCards });
  return { cards: issued.map((c) => c.card) };
}

/** What a hook call's cards are kept with. */
interface CardsShown {
  readonly serviceId: string;
  readonly saleId: string;
  /** Who they are shown to. */
  readonly holder: HisCardRecord['holders'][number];
  /** The override reasons' codes. */
  readonly reasons: string[];
  readonly now: number;
}

/**
 * The cards, bound to the identity they are shown to, and the review: one batch, conditional on the cards as read
 * (another call or instance showing or deciding one meanwhile makes it read again).
 */
async function storeCards(
  ctx: HisServiceContext,
  issued: readonly IssuedCard[],
  review: WriteOp<TerminalLayout>[],
  shown: CardsShown,
): Promise<void> {
  const { storage } = ctx;
  const { serviceId, saleId, holder, reasons, now } = shown;
  const until = now + ctx.ttl;
  await retryOnConflict(async () => {
    const ops: WriteOp<TerminalLayout>[] = [];
    const stored = await Promise.all(issued.map((card) => storage.get('hisCards', card.card.uuid)));
    for (const [i, card] of issued.entries()) {
      const uuid = card.card.uuid;
      const existing = stored[i];
      // A record that is no card (damaged) is replaced by the card shown now.
      const parsed = existing ? HisCardRecordSchema.safeParse(existing.value) : undefined;
      const live = parsed?.success && parsed.data.until > now ? parsed.data : undefined;
      const holders = [...(live?.holders ?? []).filter((h) => h.identity !== holder.identity), holder].slice(
        -MAX_HOLDERS,
      );
      const value = cardRecord(card, serviceId, saleId, [...reasons], holders, live?.decided ?? [], until);
      ops.push(
        { op: 'put', store: 'hisCards', key: uuid, value, expect: existing ? existing.rev : null },
        ...expiryOps('hisCards', uuid, until, parsed?.success ? parsed.data.until : undefined),
      );
    }
    if (ops.length + review.length > 0) await storage.write([...ops, ...review]);
  });
}

/**
 * The context's orders as sale lines and the prescriptions they are dispensed against; `HIS_DATA_MISSING` for what
 * the rules lack.
 */
function linesOf(
  ctx: HisServiceContext,
  hook: HisHook,
  context: HisContext,
  buyer: BuyerFacts | undefined,
  now: number,
): { lines: SaleLine[]; prescriptions: Prescription[] } {
  const missing: string[] = [];
  const lines = orderLines(ctx, hook, context, buyer, missing);
  if (missing.length > 0) {
    throw new HisError('HIS_DATA_MISSING', {
      message: `Data the rules need is missing: ${missing.join(', ')}`,
      messageZh: `缺少审核所需的数据：${missing.join('、')}`,
      field: missing[0]!,
      missing,
    });
  }
  const given = context.prescriptions ?? [];
  const drafts = hook === 'yibao-presettle' ? [] : draftPrescriptions(ctx, context, lines, buyer, now);
  const prescriptions = [...given, ...drafts];
  return { lines, prescriptions };
}

/** Each draft order as a sale line (an order without a price makes none); what the rules lack goes into `missing`. */
function orderLines(
  ctx: HisServiceContext,
  hook: HisHook,
  context: HisContext,
  buyer: BuyerFacts | undefined,
  missing: string[],
): SaleLine[] {
  const need = (path: string) => {
    if (!missing.includes(path)) missing.push(path);
  };
  if (hook === 'yibao-presettle' && !buyer) need('context.patient.insurance');
  const given = context.prescriptions ?? [];
  const lines: SaleLine[] = [];
  for (const [i, order] of context.draftOrders.entries()) {
    const product = ctx.options.catalog.byId(order.productId);
    const medListCode = order.medListCode ?? product?.medListCode;
    const unitPriceFen = order.unitPriceFen ?? product?.retailPriceFen;
    const payMode =
      order.payMode ??
      (buyer &&
      product &&
      medListCode &&
      FUND_ELIGIBLE_CATEGORIES.has(product.category) &&
      product.insuranceClass !== 'C'
        ? 'fund'
        : 'self-pay');
    if (unitPriceFen === undefined) need(`context.draftOrders.${i}.unitPriceFen`);
    if (payMode === 'fund' && !buyer) need('context.patient.insurance');
    if (payMode === 'fund' && !medListCode) need(`context.draftOrders.${i}.medListCode`);
    if (hook === 'yibao-presettle' && order.rxNo !== undefined && !given.some((p) => p.rxNo === order.rxNo))
      need(`context.prescriptions.${order.rxNo}`);
    if (unitPriceFen === undefined) continue;
    let amountFen: number;
    try {
      amountFen = lineAmountFen(unitPriceFen, order.quantity);
    } catch (error) {
      if (!isYibaoGuardError(error)) throw error;
      throw new InputError('INVALID_INPUT', {
        message: `Order ${i}: quantity × price is not a valid amount`,
        messageZh: `医嘱 ${i}：数量 × 单价不是有效金额`,
        field: `context.draftOrders.${i}`,
      });
    }
    const name = maskPersonalData(
      order.name ??
        (product
          ? product.tradeName
            ? `${product.genericName}（${product.tradeName}）`
            : product.genericName
          : order.productId),
    );
    // At order hooks the draft orders are the prescription being written: each line is dispensed against it.
    const rxNo = order.rxNo ?? (hook === 'yibao-presettle' ? undefined : 'HIS-DRAFT');
    lines.push({
      lineId: order.orderId,
      productId: order.productId,
      ...defined({ medListCode: medListCode || undefined }),
      name: name.slice(0, 200),
      ...(product ? { specification: product.specification } : {}),
      quantity: order.quantity,
      split: order.split ?? false,
      unitPriceFen,
      amountFen,
      ...defined({ gtin: order.gtin || undefined }),
      traceCodes: order.traceCodes ?? [],
      ...defined({ rxNo: rxNo || undefined }),
      payMode,
    });
  }
  return lines;
}

/**
 * At order hooks, the doctor's orders make a prescription (one per rxNo the HIS gave, else one draft): its items
 * carry the prescribed days, which raise the days-of-supply limit as a written prescription does.
 */
function draftPrescriptions(
  ctx: HisServiceContext,
  context: HisContext,
  lines: readonly SaleLine[],
  buyer: BuyerFacts | undefined,
  now: number,
): Prescription[] {
  const given = context.prescriptions ?? [];
  const groups = new Map<string, { medListCode: string; quantity: number; days?: number }[]>();
  for (const [i, order] of context.draftOrders.entries()) {
    const line = lines[i]!;
    if (!line.rxNo || !line.medListCode || given.some((p) => p.rxNo === line.rxNo)) continue;
    const items = groups.get(line.rxNo) ?? [];
    const item = items.find((x) => x.medListCode === line.medListCode);
    if (item) {
      item.quantity += order.quantity;
      if (order.days !== undefined) item.days = Math.max(item.days ?? 0, order.days);
    } else items.push({ medListCode: line.medListCode, quantity: order.quantity, ...defined({ days: order.days }) });
    groups.set(line.rxNo, items);
  }
  const prescriptions: Prescription[] = [];
  for (const [rxNo, items] of groups) {
    prescriptions.push({
      rxNo,
      circulating: false,
      issuedAt: now,
      hospitalCode: ctx.options.institution?.code ?? 'HIS',
      hospitalName: 'HIS',
      doctorCode: context.prescriber?.code ?? 'HIS',
      doctorName: context.prescriber?.name ?? 'HIS',
      patient: buyer ? { psnNo: buyer.psnNo } : {},
      diagnoses: [],
      items: items.map((x) => ({
        medListCode: x.medListCode,
        quantity: Math.round(x.quantity * 10_000) / 10_000,
        ...defined({ days: x.days }),
      })),
      status: 'valid',
    });
  }
  return prescriptions;
}

function findingRef(f: Finding) {
  return {
    findingId: f.findingId,
    ruleId: f.ruleId,
    ...defined({ lineId: f.lineId || undefined }),
    severity: f.severity,
    source: f.source,
  };
}

/** A card as kept for feedback. */
function cardRecord(
  issued: IssuedCard,
  serviceId: string,
  saleId: string,
  reasons: string[],
  holders: HisCardRecord['holders'],
  decided: readonly string[],
  until: number,
): HisCardRecord {
  return {
    serviceId,
    saleId,
    finding: findingRef(issued.finding),
    stopLevel: issued.stopLevel,
    ...defined({ selectionBehavior: issued.card.selectionBehavior }),
    suggestions: [...issued.suggestions].map(([uuid, action]) => ({ uuid, action })),
    reasons,
    holders,
    decided: [...decided],
    until,
  };
}

/** The buyer facts the rules need, from the patient as the HIS holds them; none without insurance facts. */
function buyerOf(context: HisContext, now: number): BuyerFacts | undefined {
  const patient = context.patient;
  const insurance = patient?.insurance;
  if (!patient || !insurance) return undefined;
  const info = patient.residentId ? residentIdInfo(patient.residentId) : undefined;
  const age = patient.age ?? (info ? ageOn(info.birthDate, formatCstDate(now)) : undefined);
  return {
    psnNo: insurance.psnNo,
    sex: patient.sex ?? info?.sex ?? 'unknown',
    ...(age !== undefined && age >= 0 ? { age } : {}),
    chronic: insurance.chronic ?? [],
    identities: insurance.identities ?? [],
    outOfArea: insurance.outOfArea ?? false,
    status: insurance.status,
    ...defined({ residentId: patient.residentId || undefined }),
  };
}

/** Full years between two `yyyy-MM-dd` dates. */
function ageOn(birthDate: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years;
}
