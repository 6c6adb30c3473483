import {
  compilePack,
  createMemoryStorage,
  formatCstDate,
  FUND_ELIGIBLE_CATEGORIES,
  indexHistory,
  InputError,
  isYibaoGuardError,
  lineAmountFen,
  maskPersonalData,
  parseInput,
  randomBytes,
  residentIdInfo,
  reviewSale,
  SaleError,
  TERMINAL_NAMES,
  type AuditEvent,
  type BuyerFacts,
  type Catalog,
  type CompiledPack,
  type Finding,
  type OverrideReason,
  type Prescription,
  type RuleId,
  type SaleLine,
  type StockView,
  type Storage,
  type TerminalLayout,
  type TraceCodeView,
} from '../../src/engine.js';
import { EXTENSION_KEY, reasonCodings, toCard, type CdsCard, type CdsCoding, type IssuedCard, type Language, type StopLevel } from './cards.js';
import { HisError } from './errors.js';
import { FeedbackRequestSchema, HisContextSchema, HookRequestSchema, type FeedbackItem, type HisContext, type HisHook } from './schemas.js';

/** A service as discovery lists it. */
export interface CdsServiceDescriptor {
  readonly hook: HisHook;
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly prefetch: Readonly<Record<string, string>>;
  readonly usageRequirements: string;
  readonly extension: {
    readonly [EXTENSION_KEY]: {
      readonly titleEn: string;
      readonly descriptionEn: string;
      readonly stopLevels: readonly StopLevel[];
      readonly overrideReasons: readonly CdsCoding[];
      /** Context fields this hook cannot do without (missing ones are answered 412). */
      readonly requiredContext: readonly string[];
    };
  };
}

/** The three services, one per hook. */
export const HIS_SERVICES: readonly { readonly id: string; readonly hook: HisHook; readonly title: { zh: string; en: string }; readonly description: { zh: string; en: string } }[] = [
  {
    id: 'yibao-order-select',
    hook: 'order-select',
    title: { zh: '医保规则事前提醒（选药）', en: 'Insurance rule prompts (order select)' },
    description: {
      zh: '医生选择药品时提示医保监管规则（串换、限定支付范围、用药天数、重复开药等）；警告在签署时再处理。',
      en: 'Prompts on the medical insurance rules as the doctor picks a drug; warnings are decided at signing.',
    },
  },
  {
    id: 'yibao-order-sign',
    hook: 'order-sign',
    title: { zh: '医保规则事前提醒（签署处方）', en: 'Insurance rule prompts (order sign)' },
    description: {
      zh: '医生签署处方前按医保监管规则审核全部医嘱；警告须选择原因才能忽略，禁止类须修改。',
      en: 'Reviews every draft order against the insurance rules before the doctor signs; a warning needs a reason, a block a change.',
    },
  },
  {
    id: 'yibao-presettle',
    hook: 'yibao-presettle',
    title: { zh: '医保结算前审核', en: 'Insurance pre-settlement review' },
    description: {
      zh: '收费员医保结算前审核：处方、追溯码、参保状态、支付限额等全部规则。',
      en: 'Reviews a visit before insured settlement: prescriptions, trace codes, standing, ceilings and every other rule.',
    },
  },
];

/** What a hook answers: the cards, most serious first. */
export interface HookResponse {
  readonly cards: readonly CdsCard[];
}

/** What became of each feedback entry: recorded in the audit trail, a repeat of one recorded before, or noted (nothing to record). */
export interface FeedbackResult {
  readonly results: readonly {
    readonly card: string;
    readonly outcome: FeedbackItem['outcome'];
    readonly status: 'recorded' | 'duplicate' | 'noted';
    /** Audit events written for this entry. */
    readonly events: number;
  }[];
}

/** Options of {@link createHisService}. */
export interface HisServiceOptions {
  /** The clinic's drug dictionary, indexed (`createCatalog(products)`). */
  readonly catalog: Catalog;
  /** The compiled rule pack in force (or a function read at each call, so a new pack applies at once). @default compilePack() */
  readonly rules?: CompiledPack | (() => CompiledPack);
  /** The clinic's 定点 agreement. @default { agreement: 'active' } */
  readonly institution?: { readonly code?: string; readonly agreement?: 'active' | 'suspended' | 'ended' };
  /** @default Date */
  readonly clock?: { now(): number };
  /**
   * Where the audit trail goes: the `audit` journal of a terminal-layout storage (the till's own, or one of its own).
   * @default a new memory storage (`service.storage`)
   */
  readonly storage?: Storage<TerminalLayout>;
  /** Write a `sale-review` event (the cards shown) for each hook call, as the till does for each review. @default true */
  readonly auditReviews?: boolean;
  /** How long feedback on a card is accepted after the card was last shown. @default 24 h */
  readonly cardTtlMs?: number;
  /** Cards remembered for feedback at most; the oldest go first. @default 100 000 */
  readonly maxCards?: number;
  /** Boxes sold before (回流药), for `trace-code-duplicate` at pre-settlement. */
  readonly soldTraceCodes?: TraceCodeView;
  /** The dispensary's stock ledger, for `stock-shortfall`. */
  readonly stock?: StockView;
}

/** Options of one in-process evaluation. */
export interface EvaluateOptions {
  /** @default 'order-sign' */
  readonly hook?: HisHook;
  /** Names the call when the context has no `encounterId`. @default a random UUID */
  readonly hookInstance?: string;
  /** @default 'zh' */
  readonly language?: Language;
}

/** The HIS hook service, without HTTP: discovery, hooks, feedback. */
export interface HisService {
  /** The services discovery lists. */
  readonly services: readonly CdsServiceDescriptor[];
  /** Where the audit trail is written. */
  readonly storage: Storage<TerminalLayout>;
  /**
   * Cards for a hook context, exactly as the HTTP service answers them (same uuids for the same visit).
   * Throws `INVALID_INPUT` for a malformed context and `HIS_DATA_MISSING` when the rules lack data.
   */
  evaluateOrders(context: unknown, options?: EvaluateOptions): Promise<HookResponse>;
  /** A CDS Hooks service call (`POST /cds-services/{id}`): the request body as received. */
  call(serviceId: string, request: unknown, options?: { readonly language?: Language }): Promise<HookResponse>;
  /** A feedback call (`POST /cds-services/{id}/feedback`): validated whole, then written in one batch. */
  feedback(serviceId: string, body: unknown): Promise<FeedbackResult>;
}

interface Entry {
  readonly issued: IssuedCard;
  readonly serviceId: string;
  readonly saleId: string;
  readonly operatorId: string;
  readonly reasons: ReadonlyMap<string, OverrideReason>;
  expiresAt: number;
  /** Decisions already recorded for the card (`override`, `accept:<suggestion>`). */
  readonly decided: Set<string>;
}

/** Rules that judge dispensing, not prescribing: at order hooks the draft orders are the prescription, and no box is in hand yet. */
const DISPENSING_RULES: ReadonlySet<RuleId> = new Set(['rx-required', 'trace-code-missing', 'trace-code-mismatch', 'trace-code-duplicate']);

const DAY_MS = 86_400_000;

/**
 * Creates the HIS hook service: the rule engine of the till, answering CDS Hooks calls of a clinic HIS with cards,
 * and writing the feedback on them into the same audit trail as the till's overrides.
 *
 * @example
 * const service = createHisService({ catalog: createCatalog(products), rules: compilePack(pack), storage })
 * const { cards } = await service.evaluateOrders({ userId: 'Practitioner/D001', patientId, patient, draftOrders })
 */
export function createHisService(options: HisServiceOptions): HisService {
  const clock = options.clock ?? { now: () => Date.now() };
  const storage = options.storage ?? createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
  const ttl = options.cardTtlMs ?? DAY_MS;
  const maxCards = options.maxCards ?? 100_000;
  const agreement = options.institution?.agreement ?? 'active';
  const defaultRules = options.rules === undefined ? compilePack() : undefined;
  const rulesNow = (): CompiledPack => (typeof options.rules === 'function' ? options.rules() : (options.rules ?? defaultRules!));
  const orderRulesMemo = new WeakMap<CompiledPack, CompiledPack>();
  const rulesFor = (hook: HisHook): CompiledPack => {
    const compiled = rulesNow();
    if (hook === 'yibao-presettle') return compiled;
    let derived = orderRulesMemo.get(compiled);
    if (!derived) {
      const keep = (r: { id: RuleId }) => !DISPENSING_RULES.has(r.id);
      derived = { ...compiled, rules: compiled.rules.filter(keep), lineRules: compiled.lineRules.filter(keep), saleRules: compiled.saleRules.filter(keep) };
      orderRulesMemo.set(compiled, derived);
    }
    return derived;
  };
  const cards = new Map<string, Entry>();

  const descriptors = (): CdsServiceDescriptor[] => {
    const reasons = [...rulesNow().overrideReasons.values()];
    return HIS_SERVICES.map((s) => ({
      hook: s.hook,
      id: s.id,
      title: s.title.zh,
      description: s.description.zh,
      prefetch: {},
      usageRequirements: '调用须携带 EdDSA 签名的 JWT（Authorization: Bearer）。/ Each call carries an EdDSA-signed JWT (Authorization: Bearer).',
      extension: {
        [EXTENSION_KEY]: {
          titleEn: s.title.en,
          descriptionEn: s.description.en,
          stopLevels: ['none', 'soft', 'reason-required', 'hard'],
          overrideReasons: reasonCodings(reasons, 'zh'),
          requiredContext: s.hook === 'yibao-presettle' ? ['userId', 'patientId', 'patient.insurance', 'draftOrders', 'prescriptions (for orders with rxNo)'] : ['userId', 'patientId', 'draftOrders', 'patient.insurance (for fund orders)'],
        },
      },
    }));
  };

  function remember(entry: Entry): void {
    const now = clock.now();
    const previous = cards.get(entry.issued.card.uuid);
    if (previous) {
      for (const d of previous.decided) entry.decided.add(d);
      cards.delete(entry.issued.card.uuid);
    }
    cards.set(entry.issued.card.uuid, entry);
    // Entries are kept in the order they were last shown, so the expired and the oldest are at the front.
    for (const [uuid, e] of cards) {
      if (e.expiresAt > now && cards.size <= maxCards) break;
      cards.delete(uuid);
    }
  }

  async function run(hook: HisHook, serviceId: string, context: HisContext, hookInstance: string, language: Language): Promise<HookResponse> {
    const now = clock.now();
    const compiled = rulesFor(hook);
    const buyer = buyerOf(context, now);
    const saleId = context.encounterId ?? hookInstance;
    const { lines, prescriptions } = linesOf(hook, context, buyer, now);
    let findings: Finding[] = reviewSale(compiled, options.catalog, {
      lines,
      prescriptions,
      ...(buyer ? { buyer } : {}),
      pharmacy: { agreement },
      now,
      ...(context.history ? { history: indexHistory(context.history.map(({ daysSupply, ...p }) => (daysSupply === undefined ? p : { ...p, daysSupply }))) } : {}),
      ...(options.soldTraceCodes && hook === 'yibao-presettle' ? { soldTraceCodes: options.soldTraceCodes } : {}),
      ...(options.stock ? { stock: options.stock } : {}),
    });
    if (hook === 'order-select' && context.selections) {
      const selected = new Set(context.selections);
      findings = findings.filter((f) => f.lineId === undefined || selected.has(f.lineId));
    }
    const reasons = [...compiled.overrideReasons.values()];
    const orderNames = new Map(lines.map((l) => [l.lineId, l.name]));
    const issued = await Promise.all(findings.map((finding) => toCard(finding, { hook, saleId, language, reasons, orderNames })));
    const operatorId = operatorIdOf(context.userId);
    for (const card of issued) {
      remember({ issued: card, serviceId, saleId, operatorId, reasons: compiled.overrideReasons, expiresAt: now + ttl, decided: new Set() });
    }
    if (options.auditReviews !== false) {
      await storage.write([
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
      ]);
    }
    return { cards: issued.map((c) => c.card) };
  }

  function linesOf(hook: HisHook, context: HisContext, buyer: BuyerFacts | undefined, now: number): { lines: SaleLine[]; prescriptions: Prescription[] } {
    const missing: string[] = [];
    const need = (path: string) => {
      if (!missing.includes(path)) missing.push(path);
    };
    if (hook === 'yibao-presettle' && !buyer) need('context.patient.insurance');
    const given = context.prescriptions ?? [];
    const lines: SaleLine[] = [];
    for (const [i, order] of context.draftOrders.entries()) {
      const product = options.catalog.byId(order.productId);
      const medListCode = order.medListCode ?? product?.medListCode;
      const unitPriceFen = order.unitPriceFen ?? product?.retailPriceFen;
      const payMode =
        order.payMode ?? (buyer && product && medListCode && FUND_ELIGIBLE_CATEGORIES.has(product.category) && product.insuranceClass !== 'C' ? 'fund' : 'self-pay');
      if (unitPriceFen === undefined) need(`context.draftOrders.${i}.unitPriceFen`);
      if (payMode === 'fund' && !buyer) need('context.patient.insurance');
      if (payMode === 'fund' && !medListCode) need(`context.draftOrders.${i}.medListCode`);
      if (hook === 'yibao-presettle' && order.rxNo !== undefined && !given.some((p) => p.rxNo === order.rxNo)) need(`context.prescriptions.${order.rxNo}`);
      if (unitPriceFen === undefined) continue;
      let amountFen: number;
      try {
        amountFen = lineAmountFen(unitPriceFen, order.quantity);
      } catch (error) {
        if (!isYibaoGuardError(error)) throw error;
        throw new InputError('INVALID_INPUT', { message: `Order ${i}: quantity × price is not a valid amount`, messageZh: `医嘱 ${i}：数量 × 单价不是有效金额`, field: `context.draftOrders.${i}` });
      }
      const name = maskPersonalData(order.name ?? (product ? (product.tradeName ? `${product.genericName}（${product.tradeName}）` : product.genericName) : order.productId));
      // At order hooks the draft orders are the prescription being written: each line is dispensed against it.
      const rxNo = order.rxNo ?? (hook === 'yibao-presettle' ? undefined : 'HIS-DRAFT');
      lines.push({
        lineId: order.orderId,
        productId: order.productId,
        ...(medListCode ? { medListCode } : {}),
        name: name.slice(0, 200),
        ...(product ? { specification: product.specification } : {}),
        quantity: order.quantity,
        split: order.split ?? false,
        unitPriceFen,
        amountFen,
        ...(order.gtin ? { gtin: order.gtin } : {}),
        traceCodes: order.traceCodes ?? [],
        ...(rxNo ? { rxNo } : {}),
        payMode,
      });
    }
    if (missing.length > 0) {
      throw new HisError('HIS_DATA_MISSING', {
        message: `Data the rules need is missing: ${missing.join(', ')}`,
        messageZh: `缺少审核所需的数据：${missing.join('、')}`,
        field: missing[0]!,
        missing,
      });
    }
    const prescriptions = [...given];
    if (hook !== 'yibao-presettle') {
      // The doctor's orders make a prescription (one per rxNo the HIS gave, else one draft): its items carry the
      // prescribed days, which raise the days-of-supply limit as a written prescription does.
      const groups = new Map<string, { medListCode: string; quantity: number; days?: number }[]>();
      for (const [i, order] of context.draftOrders.entries()) {
        const line = lines[i]!;
        if (!line.rxNo || !line.medListCode || given.some((p) => p.rxNo === line.rxNo)) continue;
        const items = groups.get(line.rxNo) ?? [];
        const item = items.find((x) => x.medListCode === line.medListCode);
        if (item) {
          item.quantity += order.quantity;
          if (order.days !== undefined) item.days = Math.max(item.days ?? 0, order.days);
        } else items.push({ medListCode: line.medListCode, quantity: order.quantity, ...(order.days !== undefined ? { days: order.days } : {}) });
        groups.set(line.rxNo, items);
      }
      for (const [rxNo, items] of groups) {
        prescriptions.push({
          rxNo,
          circulating: false,
          issuedAt: now,
          hospitalCode: options.institution?.code ?? 'HIS',
          hospitalName: 'HIS',
          doctorCode: context.prescriber?.code ?? 'HIS',
          doctorName: context.prescriber?.name ?? 'HIS',
          patient: buyer ? { psnNo: buyer.psnNo } : {},
          diagnoses: [],
          items: items.map((x) => ({ medListCode: x.medListCode, quantity: Math.round(x.quantity * 10_000) / 10_000, ...(x.days !== undefined ? { days: x.days } : {}) })),
          status: 'valid',
        });
      }
    }
    return { lines, prescriptions };
  }

  function serviceOf(serviceId: string) {
    const service = HIS_SERVICES.find((s) => s.id === serviceId);
    if (!service) throw new HisError('HIS_SERVICE_UNKNOWN', { message: `No CDS service ${safeId(serviceId)}`, messageZh: `没有预警服务 ${safeId(serviceId)}`, field: 'id' });
    return service;
  }

  return {
    get services() {
      return descriptors();
    },
    storage,
    async evaluateOrders(raw, evaluate = {}) {
      const hook = evaluate.hook ?? 'order-sign';
      const context = parseInput(HisContextSchema, raw, { en: 'Hook context', zh: '调用上下文' });
      const service = HIS_SERVICES.find((s) => s.hook === hook)!;
      return run(hook, service.id, context, evaluate.hookInstance ?? randomUuid(), evaluate.language ?? 'zh');
    },
    async call(serviceId, raw, call = {}) {
      const service = serviceOf(serviceId);
      const request = parseInput(HookRequestSchema, raw, { en: 'Hook request', zh: '调用请求' });
      if (request.hook !== service.hook) {
        throw new InputError('INVALID_INPUT', {
          message: `Service ${service.id} answers the ${service.hook} hook, not ${request.hook}`,
          messageZh: `服务 ${service.id} 只响应 ${service.hook} 调用，不响应 ${request.hook}`,
          field: 'hook',
        });
      }
      return run(service.hook, service.id, request.context, request.hookInstance, call.language ?? 'zh');
    },
    async feedback(serviceId, raw) {
      serviceOf(serviceId);
      const { feedback } = parseInput(FeedbackRequestSchema, raw, { en: 'Feedback', zh: '反馈' });
      const now = clock.now();
      const planned: { item: FeedbackItem; keys: string[]; events: AuditEvent[]; entry: Entry }[] = [];
      for (const [i, item] of feedback.entries()) {
        const entry = cards.get(item.card);
        if (!entry || entry.serviceId !== serviceId || entry.expiresAt <= now) {
          throw new SaleError('FINDING_NOT_FOUND', {
            message: `Feedback ${i}: no card ${item.card} of this service (unknown, or shown more than the retention time ago)`,
            messageZh: `反馈 ${i}：本服务没有该提示卡片（未知或已超过保留时间）`,
            field: `feedback.${i}.card`,
          });
        }
        planned.push({ item, entry, ...plan(item, i, entry, now) });
      }
      // Repeated feedback (in this request, or recorded before) is answered as such and written once.
      const fresh = new Set<string>();
      const results: FeedbackResult['results'][number][] = [];
      const events: AuditEvent[] = [];
      const marks: { entry: Entry; key: string }[] = [];
      for (const p of planned) {
        const keys = p.keys.filter((k) => !p.entry.decided.has(k) && !fresh.has(`${p.item.card}|${k}`));
        const chosen = p.events.filter((_, index) => keys.includes(p.keys[index]!));
        for (const k of keys) {
          fresh.add(`${p.item.card}|${k}`);
          marks.push({ entry: p.entry, key: k });
        }
        events.push(...chosen);
        results.push({ card: p.item.card, outcome: p.item.outcome, status: p.keys.length === 0 ? 'noted' : chosen.length === 0 ? 'duplicate' : 'recorded', events: chosen.length });
      }
      // Marked before the write, so that a repeat arriving meanwhile is a duplicate; unmarked if the write fails.
      for (const m of marks) m.entry.decided.add(m.key);
      try {
        if (events.length > 0) await storage.write(events.map((value) => ({ op: 'append' as const, journal: 'audit' as const, value })));
      } catch (error) {
        for (const m of marks) m.entry.decided.delete(m.key);
        throw error;
      }
      return { results };
    },
  };

  /** The audit events one feedback entry stands for, each with its dedup key; throws for feedback the card does not allow. */
  function plan(item: FeedbackItem, i: number, entry: Entry, now: number): { keys: string[]; events: AuditEvent[] } {
    const { issued } = entry;
    const operatorId = item.userId ? operatorIdOf(item.userId) : entry.operatorId;
    const ref = findingRef(issued.finding);
    if (item.outcome === 'accepted') {
      const accepted = item.acceptedSuggestions ?? [];
      if (accepted.length === 0) {
        if (issued.suggestions.size > 0) {
          throw new InputError('INVALID_INPUT', {
            message: `Feedback ${i}: name the suggestion taken (acceptedSuggestions)`,
            messageZh: `反馈 ${i}：须写明采纳了哪一条建议（acceptedSuggestions）`,
            field: `feedback.${i}.acceptedSuggestions`,
          });
        }
        return { keys: [], events: [] };
      }
      if (issued.card.selectionBehavior === 'at-most-one' && new Set(accepted.map((a) => a.id)).size > 1) {
        throw new InputError('INVALID_INPUT', { message: `Feedback ${i}: this card's suggestions are alternatives; accept one`, messageZh: `反馈 ${i}：该卡片的建议只能采纳一条`, field: `feedback.${i}.acceptedSuggestions` });
      }
      const keys: string[] = [];
      const events: AuditEvent[] = [];
      for (const [j, { id }] of accepted.entries()) {
        const action = issued.suggestions.get(id);
        if (!action) {
          throw new InputError('INVALID_INPUT', { message: `Feedback ${i}: suggestion ${id} is not on card ${item.card}`, messageZh: `反馈 ${i}：卡片中没有建议 ${id}`, field: `feedback.${i}.acceptedSuggestions.${j}.id` });
        }
        if (keys.includes(`accept:${id}`)) continue;
        keys.push(`accept:${id}`);
        events.push({ kind: 'finding-action', at: now, saleId: entry.saleId, operatorId, findingId: ref.findingId, action });
      }
      return { keys, events };
    }
    if (issued.stopLevel === 'hard') {
      throw new SaleError('FINDING_NOT_OVERRIDABLE', {
        message: `Feedback ${i}: card ${item.card} is a hard stop and cannot be overridden; take a suggestion or change the order`,
        messageZh: `反馈 ${i}：该卡片为禁止类（hard），不能忽略：须采纳建议或修改医嘱`,
        field: `feedback.${i}.outcome`,
      });
    }
    const code = item.overrideReason?.reason?.code;
    const note = maskPersonalData((item.overrideReason?.userComment ?? '').trim()).slice(0, 500);
    if (code === undefined && issued.stopLevel === 'reason-required') {
      throw new SaleError('OVERRIDE_REASON_UNKNOWN', {
        message: `Feedback ${i}: this card may be overridden only with one of its overrideReasons`,
        messageZh: `反馈 ${i}：忽略该卡片须选择其列出的原因之一（overrideReasons）`,
        field: `feedback.${i}.overrideReason.reason`,
      });
    }
    if (code !== undefined && !entry.reasons.has(code)) throw new SaleError('OVERRIDE_REASON_UNKNOWN', { field: `feedback.${i}.overrideReason.reason.code` });
    if (code === 'other' && note === '') throw new SaleError('OVERRIDE_NOTE_REQUIRED', { field: `feedback.${i}.overrideReason.userComment` });
    return {
      keys: ['override'],
      // A card that asks for no reason (information, a warning still being picked) is dismissed: recorded as such.
      events: [{ kind: 'finding-override', at: now, saleId: entry.saleId, finding: ref, reasonCode: code ?? 'dismissed', note, by: { operatorId } }],
    };
  }
}

function findingRef(f: Finding) {
  return { findingId: f.findingId, ruleId: f.ruleId, ...(f.lineId ? { lineId: f.lineId } : {}), severity: f.severity, source: f.source };
}

/** A CDS Hooks user reference (`Practitioner/D001`) as an audit operator id (`Practitioner:D001`). */
export function operatorIdOf(userId: string): string {
  return userId.replace(/\//g, ':');
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
    ...(patient.residentId ? { residentId: patient.residentId } : {}),
  };
}

/** Full years between two `yyyy-MM-dd` dates. */
function ageOn(birthDate: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** A service id from a URL, fit to quote in a message (an id is short ASCII; anything else is not quoted). */
function safeId(id: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(id) ? id : '(invalid id)';
}

function randomUuid(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
