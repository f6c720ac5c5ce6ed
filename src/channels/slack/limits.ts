import { redactText } from '../../lib/secrets.js';

/**
 * Slack's own limits (Block Kit reference): a message holds at most 50 blocks; a section's text at most
 * 3,000 characters, each of its at most 10 fields 2,000; a header 150; a context at most 10 elements;
 * a button's text 75 and its URL 3,000. A message over them is refused with `invalid_blocks`, so every
 * message is cut to fit before it is queued.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  buttonText: 75,
  url: 3000,
  actionsElements: 25,
  /** The top-level `text`: notifications and clients without blocks show it. */
  fallbackText: 3000,
} as const;

export type Block = Record<string, any>;

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/**
 * Text that came from logs, tags and alerts is data: `&`, `<` and `>` are escaped so that it can neither
 * mention people (`<!channel>`) nor hide a link (`<https://evil|docs>`), and secrets are redacted.
 */
export function mrkdwn(text: string): string {
  return redactText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The same for plain_text objects (headers, buttons), where Slack takes the text as it is. */
export function plain(text: string): string {
  return redactText(text).replace(/\s+/g, ' ').trim();
}

/**
 * Cut escaped mrkdwn to `max` characters without splitting an entity (`&amp;`) and without leaving a
 * code block open.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 4).replace(/&[a-z]{0,4}$/, '');
  if ((cut.match(/```/g)?.length ?? 0) % 2 === 1) cut = cut.slice(0, max - 8).replace(/&[a-z]{0,4}$/, '') + '\n```';
  return cut + ' …';
}

function clipPlain(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

function fitText(obj: any, max: number): any {
  if (!obj || typeof obj.text !== 'string') return obj;
  return { ...obj, text: obj.type === 'plain_text' ? clipPlain(obj.text, max) : clip(obj.text, max) };
}

/** Every block and element within Slack's limits; blocks past the 49th give way to a "more" note. */
export function fitMessage(msg: SlackMessage, moreNote = 'More in the web view.'): SlackMessage {
  const blocks = msg.blocks.map((b) => fitBlock(b));
  let out = blocks;
  if (blocks.length > SLACK_LIMITS.blocks) {
    out = blocks.slice(0, SLACK_LIMITS.blocks - 1);
    out.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(`${blocks.length - out.length} more block(s) left out (Slack shows at most ${SLACK_LIMITS.blocks}). ${moreNote}`) }] });
  }
  return { text: clip(msg.text, SLACK_LIMITS.fallbackText), blocks: out };
}

function fitBlock(b: Block): Block {
  switch (b.type) {
    case 'header':
      return { ...b, text: { ...b.text, text: clipPlain(b.text.text, SLACK_LIMITS.headerText) } };
    case 'section': {
      const out: Block = { ...b };
      if (b.text) out.text = fitText(b.text, SLACK_LIMITS.sectionText);
      if (b.fields) out.fields = b.fields.slice(0, SLACK_LIMITS.fields).map((f: any) => fitText(f, SLACK_LIMITS.fieldText));
      return out;
    }
    case 'context':
      return { ...b, elements: b.elements.slice(0, SLACK_LIMITS.contextElements).map((e: any) => fitText(e, SLACK_LIMITS.contextText)) };
    case 'actions':
      return {
        ...b,
        elements: b.elements.slice(0, SLACK_LIMITS.actionsElements)
          .filter((e: any) => !e.url || e.url.length <= SLACK_LIMITS.url)
          .map((e: any) => ({ ...e, text: e.text ? { ...e.text, text: clipPlain(e.text.text, SLACK_LIMITS.buttonText) } : e.text })),
      };
    default:
      return b;
  }
}

/** Where a message breaks Slack's limits, or [] when it fits: tests and the outbox check with this. */
export function limitViolations(msg: SlackMessage): string[] {
  const v: string[] = [];
  if (msg.blocks.length > SLACK_LIMITS.blocks) v.push(`${msg.blocks.length} blocks > ${SLACK_LIMITS.blocks}`);
  if (msg.text.length > SLACK_LIMITS.fallbackText) v.push(`text ${msg.text.length} > ${SLACK_LIMITS.fallbackText}`);
  msg.blocks.forEach((b, i) => {
    const at = `block ${i} (${b.type})`;
    if (b.type === 'header' && b.text.text.length > SLACK_LIMITS.headerText) v.push(`${at}: header ${b.text.text.length} > ${SLACK_LIMITS.headerText}`);
    if (b.type === 'section') {
      if (b.text && b.text.text.length > SLACK_LIMITS.sectionText) v.push(`${at}: text ${b.text.text.length} > ${SLACK_LIMITS.sectionText}`);
      if (b.fields && b.fields.length > SLACK_LIMITS.fields) v.push(`${at}: ${b.fields.length} fields > ${SLACK_LIMITS.fields}`);
      for (const f of b.fields ?? []) if (f.text.length > SLACK_LIMITS.fieldText) v.push(`${at}: field ${f.text.length} > ${SLACK_LIMITS.fieldText}`);
      if (!b.text && !b.fields?.length) v.push(`${at}: a section needs text or fields`);
    }
    if (b.type === 'context') {
      if (b.elements.length > SLACK_LIMITS.contextElements) v.push(`${at}: ${b.elements.length} elements > ${SLACK_LIMITS.contextElements}`);
      for (const e of b.elements) if (typeof e.text === 'string' && e.text.length > SLACK_LIMITS.contextText) v.push(`${at}: element ${e.text.length} > ${SLACK_LIMITS.contextText}`);
    }
    if (b.type === 'actions') {
      for (const e of b.elements) {
        if (e.text?.text?.length > SLACK_LIMITS.buttonText) v.push(`${at}: button text ${e.text.text.length} > ${SLACK_LIMITS.buttonText}`);
        if (e.url && e.url.length > SLACK_LIMITS.url) v.push(`${at}: url ${e.url.length} > ${SLACK_LIMITS.url}`);
      }
    }
  });
  return v;
}

/**
 * The message as plain text, for the one retry after Slack refuses its blocks: the same content, no
 * blocks. mrkdwn entities stay escaped (Slack reads `text` as mrkdwn too).
 */
export function asPlainText(msg: SlackMessage): SlackMessage {
  const lines: string[] = [];
  for (const b of msg.blocks) {
    if (b.type === 'header') lines.push(`*${mrkdwn(b.text.text)}*`);
    else if (b.type === 'section') {
      if (b.text) lines.push(b.text.text);
      for (const f of b.fields ?? []) lines.push(f.text.replace(/\n/g, ': '));
    } else if (b.type === 'context') lines.push(b.elements.map((e: any) => e.text ?? '').join(' · '));
    else if (b.type === 'actions') for (const e of b.elements) if (e.url) lines.push(`${e.text?.text ?? 'Link'}: ${e.url}`);
  }
  return { text: clip(lines.filter(Boolean).join('\n'), 39_000), blocks: [] };
}
