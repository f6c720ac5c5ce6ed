import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestMessage, incidentCard } from '../../src/channels/slack/blocks.js';
import { asPlainText, clip, fitMessage, limitViolations, SLACK_LIMITS, type SlackMessage } from '../../src/channels/slack/limits.js';
import { slackRefuses } from '../helpers/slack-server.js';
import { DEPLOY_BOT, KEY, makeIncident } from './incidents.js';

const LINK = 'https://copilot.example.com/incidents/inc-00000000a1?exp=1999999999&sig=' + 'A'.repeat(43);
const ASOF = '2026-11-10T05:30:00.000Z';

/** Every mrkdwn or plain_text string in a message. */
function texts(m: SlackMessage): string[] {
  const out = [m.text];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(m.blocks);
  return out;
}

describe('incident card', () => {
  const card = incidentCard(makeIncident({ id: 'inc-00000000a1' }), { announcement: 'new', link: LINK, asOf: ASOF });

  it('says what is happening, what to do now, who owns it and how sure it is', () => {
    expect(card.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'CRITICAL: Access key used from a TOR exit node: deploy-bot', emoji: true } });
    const fields = card.blocks[1].fields.map((f: { text: string }) => f.text);
    expect(fields).toEqual([
      '*Severity*\n:red_circle: critical, score 87/100, rank #1',
      '*Confidence*\n85%',
      '*Owner*\nDana Reyes &lt;dana.reyes@example.com&gt;, Platform',
      '*Status*\nopen, happening now',
    ]);
    expect(card.blocks[2].text.text).toBe('*What is happening*\ndeploy-bot [arn:aws:iam::111122223333:user/svc/deploy-bot] used its key from 198.51.100.77 to assume deploy.');
    const doNow = card.blocks[3].text.text as string;
    expect(doNow).toMatch(/^\*Do now\*\n1\. Deactivate AKIAIOSFODNN7EXAMPLE \(aws:access-key:AKIAIOSFODNN7EXAMPLE\): The key is used from a TOR exit node\.\n```aws iam update-access-key --user-name deploy-bot --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive```\n2\. Revoke the sessions of deploy \(arn:aws:iam::111122223333:role\/ci\/deploy\): /);
    expect(doNow).toContain('1 for today or this week: in the web view.');
    expect(card.blocks[4]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '*Chain* deploy-bot —owns_credential→ AKIAIOSFODNN7EXAMPLE —assumed→ deploy' }] });
    expect(card.blocks[5]).toEqual({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in the web view' }, url: LINK, style: 'danger' }] });
    expect(card.blocks[6].elements[0].text).toContain('inc-00000000a1 · data as of 2026-11-10T05:30Z');
    expect(card.text).toBe('CRITICAL Access key used from a TOR exit node: deploy-bot. Owner: Dana Reyes &lt;dana.reyes@example.com&gt;, Platform. Do now: Deactivate AKIAIOSFODNN7EXAMPLE (aws:access-key:AKIAIOSFODNN7EXAMPLE).');
    expect(limitViolations(card)).toEqual([]);
    expect(slackRefuses(card)).toBe(false);
  });

  it('names an escalation and the severity it had', () => {
    const esc = incidentCard(makeIncident({ id: 'inc-00000000a1' }), { announcement: 'escalated', previousSeverity: 'high', link: null, asOf: ASOF });
    expect(esc.blocks[0].text.text).toBe('Escalated to critical: Access key used from a TOR exit node: deploy-bot');
    expect(esc.blocks[1]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Was high when first posted; now critical.' }] });
    expect(esc.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('says plainly when nobody owns the identity', () => {
    const c = incidentCard(makeIncident({ id: 'inc-00000000b2', ownerDetail: null, owner: null }), { announcement: 'new', asOf: ASOF });
    expect(c.blocks[1].fields[2].text).toBe('*Owner*\nno accountable owner on record');
  });

  it('keeps log text as data: no mentions, no hidden links, no secrets', () => {
    const token = 'ghp_' + 'a1B2c3D4e5'.repeat(4);
    const c = incidentCard(makeIncident({
      id: 'inc-00000000a1',
      title: 'Leaver <!channel> <https://evil.example/|read the runbook> & more',
      whatIsHappening: `Token ${token} and xoxb-1111111111-2222222222-abcdefabcdef seen; <@U024BE7LH> ping`,
    }), { announcement: 'new', asOf: ASOF });
    const json = JSON.stringify(c);
    expect(json).not.toContain(token);
    expect(json).not.toContain('xoxb-1111111111');
    // plain_text (the header) is shown verbatim by Slack, never parsed for mentions or links; the rest is mrkdwn.
    for (const t of [...texts(c).filter((x) => x !== c.blocks[0].text.text), asPlainText(c).text]) {
      expect(t).not.toContain('<!channel>');
      expect(t).not.toContain('<https://evil');
      expect(t).not.toContain('<@U024BE7LH>');
    }
    expect(c.blocks[2].text.text).toContain('&lt;@U024BE7LH&gt;');
    expect(c.blocks[0].text.text).toBe('CRITICAL: Leaver <!channel> <https://evil.example/|read the runbook> & more'.replace(/\s+/g, ' '));
  });

  it('fits Slack\'s limits however much the incident holds', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ action: 'rotate_credential', target: `aws:access-key:AKIA${String(i).padStart(16, '0')}`, urgency: 'now', reason: 'r'.repeat(900), command: 'x'.repeat(2000) }));
    const chain = Array.from({ length: 40 }, (_, i) => ({ identity: `arn:aws:iam::111122223333:role/r${i}`, edge: i ? 'assumed' : null }));
    const c = incidentCard(makeIncident({ id: 'inc-00000000a1', title: 'T'.repeat(400), whatIsHappening: 'w & '.repeat(5000), actions: many, chain }), { announcement: 'new', link: LINK, asOf: ASOF });
    expect(limitViolations(c)).toEqual([]);
    expect(slackRefuses(c)).toBe(false);
    expect(c.blocks[0].text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    const what = c.blocks.find((b) => b.text?.text?.startsWith('*What is happening*'))!.text.text as string;
    expect(what.length).toBeLessThanOrEqual(3000);
    expect(what).toMatch(/ …$/);
    expect(what).not.toMatch(/&[a-z]{0,3} …$/);
    const doNow = c.blocks.find((b) => b.text?.text?.startsWith('*Do now*'))!.text.text as string;
    expect((doNow.match(/```/g) ?? []).length % 2).toBe(0);
  });
});

describe('digest', () => {
  const incidents = Array.from({ length: 80 }, (_, i) => makeIncident({
    id: `inc-${String(i).padStart(10, '0')}`, rank: i + 1, severity: i < 2 ? 'critical' : i < 10 ? 'high' : 'medium', score: 90 - i,
    happeningNow: i === 0, ownerDetail: i % 2 ? null : undefined, owner: i % 2 ? null : 'hr:employee:E2001',
  }));

  it('counts what is open by severity and lists the worst within 50 blocks', () => {
    const links = new Map([[incidents[0].id, LINK]]);
    const d = digestMessage(incidents, { asOf: ASOF, links, fresh: new Set([incidents[1].id]), listLink: 'https://copilot.example.com/?exp=1&sig=x' });
    expect(d.blocks[0].text.text).toBe('On-call digest: 80 open incidents');
    expect(d.blocks[1].text.text).toBe(':red_circle: *2* critical   :large_orange_circle: *8* high   :large_yellow_circle: *70* medium\n1 happening now · 40 without an owner');
    expect(d.blocks[2].text.text.startsWith(`:red_circle: #1 <${LINK}|Access key used from a TOR exit node: deploy-bot>\n`)).toBe(true);
    expect(d.blocks[3].text.text).toContain('_(new)_');
    expect(d.blocks.filter((b) => b.type === 'section').length).toBe(16);
    expect(d.blocks.at(-2)!.elements[0].text).toContain('65 more: `idcopilot triage`');
    expect(d.blocks.length).toBeLessThanOrEqual(50);
    expect(limitViolations(d)).toEqual([]);
    expect(d.text).toBe('On-call digest: 80 open (2 critical, 8 high, 70 medium)');
  });

  it('says so when nothing is open', () => {
    const d = digestMessage([], { asOf: ASOF });
    expect(d.blocks[1].text.text).toBe('Nothing open. :white_check_mark:');
  });
});

describe('limits', () => {
  it('cuts a message of 60 blocks to 50 with a note of what was left out', () => {
    const m = fitMessage({ text: 't', blocks: Array.from({ length: 60 }, (_, i) => ({ type: 'section', text: { type: 'mrkdwn', text: `b${i}` } })) });
    expect(m.blocks).toHaveLength(50);
    expect(m.blocks[49].elements[0].text).toBe('11 more block(s) left out (Slack shows at most 50). More in the web view.');
  });

  it('never cuts an entity in half', () => {
    const cut = clip('a'.repeat(2993) + '&amp;&amp;&amp;', 3000);
    expect(cut.length).toBeLessThanOrEqual(3000);
    expect(cut).toBe('a'.repeat(2993) + ' …');
    expect(clip('short', 3000)).toBe('short');
  });

  it('turns a refused message into plain text with its content and links', () => {
    const card = incidentCard(makeIncident({ id: 'inc-00000000a1' }), { announcement: 'new', link: LINK, asOf: ASOF });
    const p = asPlainText(card);
    expect(p.blocks).toEqual([]);
    expect(p.text).toContain('*What is happening*');
    expect(p.text).toContain(`Open in the web view: ${LINK}`);
    expect(p.text).toContain('*Confidence*: 85%');
    expect(slackRefuses(p)).toBe(false);
  });

  it('property: any text, any size, yields a message Slack accepts, with nothing unescaped and no token', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((s) => `ghp_${s}`);
    const text = fc.oneof(fc.string({ maxLength: 4000 }), fc.string({ unit: 'grapheme', maxLength: 300 }), token, fc.constantFrom('<!here>', '<@U1>', '&lt;', '```', '<https://x|y>'));
    fc.assert(fc.property(
      fc.record({ title: text, what: text, reason: text, command: text, owner: text, secret: token, n: fc.integer({ min: 0, max: 30 }) }),
      ({ title, what, reason, command, owner, secret, n }) => {
        const inc = makeIncident({
          id: 'inc-00000000a1', title: title || 't', whatIsHappening: `${what} ${secret}`,
          actions: Array.from({ length: n }, (_, i) => ({ action: 'investigate', target: `${KEY}${i}`, urgency: i % 3 ? 'today' : 'now', reason: reason || 'r', command: `${command} ${secret}` })),
          ownerDetail: { id: 'hr:employee:E1', name: owner || 'o', email: null, status: 'active', team: null, source: 'tag', of: DEPLOY_BOT },
        });
        const card = incidentCard(inc, { announcement: 'new', link: LINK, asOf: ASOF });
        const digest = digestMessage([inc, inc], { asOf: ASOF });
        for (const m of [card, digest, asPlainText(card)]) {
          expect(limitViolations(m)).toEqual([]);
          expect(slackRefuses(m)).toBe(false);
          expect(JSON.stringify(m)).not.toContain(secret);
        }
        for (const t of texts(card).slice(1)) {
          if (t === card.blocks[0].text.text) continue; // plain_text: Slack shows it verbatim
          expect(t).not.toMatch(/<[!@#h]/);
        }
      },
    ), { numRuns: 150 });
  });
});
