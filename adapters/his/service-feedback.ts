import { InputError, maskPersonalData, SaleError } from '../../src/index.js';
import type { AuditEvent } from '../../src/schemas/index.js';
import { operatorIdOf, type HisCaller } from './auth.js';
import { HisError } from './errors.js';
import { retryOnConflict } from './retention.js';
import type { FeedbackItem, HisCardRecord } from './schemas.js';
import { IN_PROCESS, readCard, type HisServiceContext } from './service-context.js';
import type { FeedbackResult } from './service.js';

/*
 * Feedback on cards shown: each entry checked against its card (shown by this service, to this caller, still kept)
 * and turned into the audit events it stands for; repeats answered as such; all written in one conditional batch.
 */

/** A card read for feedback, with the decisions on it so far (this request's included). */
interface ReadCard {
  readonly rev: number;
  readonly value: HisCardRecord;
  readonly decided: Set<string>;
}

/** The dedup keys of a feedback entry and the audit events they stand for, one for one. */
interface Plan {
  readonly keys: string[];
  readonly events: AuditEvent[];
}

/** One feedback entry, judged. */
interface Planned extends Plan {
  readonly item: FeedbackItem;
}

/** Who the audit names as deciding. */
interface Decider {
  readonly operatorId: string;
  readonly name?: string;
}

/**
 * A feedback call's entries, validated whole, then written in one batch. Read, judged and written as one conditional
 * batch: a decision recorded meanwhile (by this instance or another over the same storage) makes it read again, and
 * then it is a duplicate.
 */
export function recordFeedback(
  ctx: HisServiceContext,
  serviceId: string,
  feedback: readonly FeedbackItem[],
  caller: HisCaller | undefined,
): Promise<FeedbackResult> {
  return retryOnConflict(async () => {
    const now = ctx.clock.now();
    const cards = new Map<string, ReadCard>();
    const planned = await planAll(ctx, serviceId, feedback, caller, cards, now);
    // Repeated feedback (in this request, or recorded before) is answered as such and written once.
    const results: FeedbackResult['results'][number][] = [];
    const events: AuditEvent[] = [];
    const changed = new Set<string>();
    for (const p of planned) {
      const card = cards.get(p.item.card)!;
      const keys = p.keys.filter((k) => !card.decided.has(k));
      const chosen = p.events.filter((_, index) => keys.includes(p.keys[index]!));
      for (const k of keys) card.decided.add(k);
      if (keys.length > 0) changed.add(p.item.card);
      events.push(...chosen);
      results.push({
        card: p.item.card,
        outcome: p.item.outcome,
        status: p.keys.length === 0 ? 'noted' : chosen.length === 0 ? 'duplicate' : 'recorded',
        events: chosen.length,
      });
    }
    if (events.length > 0) {
      await ctx.storage.write([
        ...[...changed].map((uuid) => {
          const card = cards.get(uuid)!;
          return {
            op: 'put' as const,
            store: 'hisCards' as const,
            key: uuid,
            value: { ...card.value, decided: [...card.decided] },
            expect: card.rev,
          };
        }),
        ...events.map((value) => ({ op: 'append' as const, journal: 'audit' as const, value })),
      ]);
    }
    return { results };
  });
}

/**
 * Reads each entry's card into `cards` and judges the entry; throws for a card unknown, expired, another service's
 * or another caller's.
 */
async function planAll(
  ctx: HisServiceContext,
  serviceId: string,
  feedback: readonly FeedbackItem[],
  caller: HisCaller | undefined,
  cards: Map<string, ReadCard>,
  now: number,
): Promise<Planned[]> {
  const identity = caller?.key ?? IN_PROCESS;
  const planned: Planned[] = [];
  for (const [i, item] of feedback.entries()) {
    let card = cards.get(item.card);
    if (!card) {
      const stored = await readCard(ctx, item.card);
      if (stored) cards.set(item.card, (card = { ...stored, decided: new Set(stored.value.decided) }));
    }
    if (!card || card.value.until <= now) throw notFound(i, item.card);
    const holder = card.value.holders.find((h) => h.identity === identity);
    if (!holder) {
      throw new HisError('HIS_FEEDBACK_FORBIDDEN', {
        message: `Feedback ${i}: card ${item.card} was not shown to this caller (another issuer or token identity)`,
        messageZh: `反馈 ${i}：该提示卡片不是发给本调用方的（签发方或令牌身份不同），不能对其反馈`,
        field: `feedback.${i}.card`,
      });
    }
    if (card.value.serviceId !== serviceId) throw notFound(i, item.card);
    planned.push({ item, ...plan(item, i, card.value, decider(caller, item.userId ?? holder.userId), now) });
  }
  return planned;
}

/**
 * The audit events one feedback entry stands for, each with its dedup key; throws for feedback the card does not allow.
 */
function plan(item: FeedbackItem, i: number, card: HisCardRecord, by: Decider, now: number): Plan {
  return item.outcome === 'accepted' ? planAccepted(item, i, card, by, now) : planOverride(item, i, card, by, now);
}

/** Accepted: one `finding-action` per suggestion taken. */
function planAccepted(item: FeedbackItem, i: number, card: HisCardRecord, { operatorId }: Decider, now: number): Plan {
  const ref = card.finding;
  const suggestions = new Map(card.suggestions.map((s) => [s.uuid, s.action]));
  const accepted = item.acceptedSuggestions ?? [];
  if (accepted.length === 0) {
    if (suggestions.size > 0) {
      throw new InputError('INVALID_INPUT', {
        message: `Feedback ${i}: name the suggestion taken (acceptedSuggestions)`,
        messageZh: `反馈 ${i}：须写明采纳了哪一条建议（acceptedSuggestions）`,
        field: `feedback.${i}.acceptedSuggestions`,
      });
    }
    return { keys: [], events: [] };
  }
  if (card.selectionBehavior === 'at-most-one' && new Set(accepted.map((a) => a.id)).size > 1) {
    throw new InputError('INVALID_INPUT', {
      message: `Feedback ${i}: this card's suggestions are alternatives; accept one`,
      messageZh: `反馈 ${i}：该卡片的建议只能采纳一条`,
      field: `feedback.${i}.acceptedSuggestions`,
    });
  }
  const keys: string[] = [];
  const events: AuditEvent[] = [];
  for (const [j, { id }] of accepted.entries()) {
    const action = suggestions.get(id);
    if (!action) {
      throw new InputError('INVALID_INPUT', {
        message: `Feedback ${i}: suggestion ${id} is not on card ${item.card}`,
        messageZh: `反馈 ${i}：卡片中没有建议 ${id}`,
        field: `feedback.${i}.acceptedSuggestions.${j}.id`,
      });
    }
    if (keys.includes(`accept:${id}`)) continue;
    keys.push(`accept:${id}`);
    events.push({ kind: 'finding-action', at: now, saleId: card.saleId, operatorId, findingId: ref.findingId, action });
  }
  return { keys, events };
}

/** Overridden: one `finding-override`, with a reason the card lists when it asks for one; never for a hard stop. */
function planOverride(item: FeedbackItem, i: number, card: HisCardRecord, by: Decider, now: number): Plan {
  const ref = card.finding;
  if (card.stopLevel === 'hard') {
    throw new SaleError('FINDING_NOT_OVERRIDABLE', {
      message: `Feedback ${i}: card ${item.card} is a hard stop and cannot be overridden; take a suggestion or change the order`,
      messageZh: `反馈 ${i}：该卡片为禁止类（hard），不能忽略：须采纳建议或修改医嘱`,
      field: `feedback.${i}.outcome`,
    });
  }
  const code = item.overrideReason?.reason?.code;
  const note = maskPersonalData((item.overrideReason?.userComment ?? '').trim()).slice(0, 500);
  if (code === undefined && card.stopLevel === 'reason-required') {
    throw new SaleError('OVERRIDE_REASON_UNKNOWN', {
      message: `Feedback ${i}: this card may be overridden only with one of its overrideReasons`,
      messageZh: `反馈 ${i}：忽略该卡片须选择其列出的原因之一（overrideReasons）`,
      field: `feedback.${i}.overrideReason.reason`,
    });
  }
  if (code !== undefined && !card.reasons.includes(code))
    throw new SaleError('OVERRIDE_REASON_UNKNOWN', { field: `feedback.${i}.overrideReason.reason.code` });
  if (code === 'other' && note === '')
    throw new SaleError('OVERRIDE_NOTE_REQUIRED', { field: `feedback.${i}.overrideReason.userComment` });
  return {
    keys: ['override'],
    // A card that asks for no reason (information, a warning still being picked) is dismissed: recorded as such.
    events: [
      {
        kind: 'finding-override',
        at: now,
        saleId: card.saleId,
        finding: ref,
        reasonCode: code ?? 'dismissed',
        note,
        by,
      },
    ],
  };
}

/**
 * Who the audit says decided. A token's caller is its identity; the user the HIS names (the feedback's `userId`, or
 * the user of the hook call that showed the card) is only what the HIS states, kept as a marked display name. An
 * in-process call is the application's own: the user it names is the operator.
 */
function decider(caller: HisCaller | undefined, statedUserId: string): Decider {
  if (!caller) return { operatorId: operatorIdOf(statedUserId) };
  return {
    operatorId: caller.operatorId,
    name: `${maskPersonalData(statedUserId)}（HIS 所报用户，未经认证 / user stated by the HIS, not authenticated）`,
  };
}

function notFound(i: number, card: string): SaleError {
  return new SaleError('FINDING_NOT_FOUND', {
    message: `Feedback ${i}: no card ${card} of this service (unknown, or shown more than the retention time ago)`,
    messageZh: `反馈 ${i}：本服务没有该提示卡片（未知或已超过保留时间）`,
    field: `feedback.${i}.card`,
  });
}
