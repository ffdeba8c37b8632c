import { describe, expect, it } from 'vitest';
import { slackMessage } from '../../../functions/shared/alerts/slack-message';
import { alertMessage } from './alert-fixtures';

type Block = {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: Record<string, unknown>[];
};

/** No half of a surrogate pair on its own. */
const wellFormed = (text: string | undefined) =>
  text !== undefined && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

const blocksOf = (message: ReturnType<typeof slackMessage>) => message.blocks as Block[];

describe('Slack Block Kit message', () => {
  it('leads with the severity and carries the title, key fields and link buttons', () => {
    const message = slackMessage(alertMessage());
    const [header, summary, fields, context, actions] = blocksOf(message);
    expect(message.text).toBe('CRITICAL: Error rate 60% on checkout');
    expect(header).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: CRITICAL: Error rate 60% on checkout', emoji: true },
    });
    expect(summary?.text?.text).toBe('6 of 10 tasks failed in the last 5 minutes');
    expect(fields?.fields?.map((field) => field.text)).toEqual([
      '*Kind*\nERROR_RATE',
      '*Severity*\nCRITICAL',
      '*Organization*\nacme',
      '*Workflow*\ncheckout',
      '*Value*\n0.6 (threshold 0.5)',
      '*Seen*\n1 time since 2026-11-27T12:00:00.000Z',
    ]);
    expect(context?.type).toBe('context');
    expect(actions?.elements).toEqual([
      expect.objectContaining({
        type: 'button',
        text: { type: 'plain_text', text: 'Open in console' },
        url: 'https://console.example.com/alerts/5b1f8a52-3c1e-4c55-9a0b-0f3cf2f6a1d2',
        style: 'danger',
      }),
      expect.objectContaining({ type: 'button', url: expect.stringContaining('https://api.example.com/') }),
    ]);
  });

  it('makes a RESOLVED update recognisable', () => {
    const message = slackMessage(
      alertMessage({ state: 'RESOLVED', resolvedAt: '2026-11-27T12:20:00.000Z', count: 4 }, 'RESOLVED'),
    );
    const [header, , fields, context, actions] = blocksOf(message);
    expect(message.text).toBe('RESOLVED: Error rate 60% on checkout');
    expect(header?.text?.text).toBe(':white_check_mark: RESOLVED: Error rate 60% on checkout');
    expect(fields?.fields?.map((field) => field.text)).toContain('*Resolved at*\n2026-11-27T12:20:00.000Z');
    expect(JSON.stringify(context)).toContain('Resolved');
    expect(actions?.elements?.[0]).not.toHaveProperty('style');
  });

  it('marks each severity differently', () => {
    const headers = (['CRITICAL', 'WARNING', 'INFO'] as const).map(
      (severity) => blocksOf(slackMessage(alertMessage({ severity })))[0]?.text?.text,
    );
    expect(new Set(headers).size).toBe(3);
    expect(headers[1]).toMatch(/^:large_orange_circle: WARNING: /);
  });

  it("keeps within Block Kit's limits and escapes mrkdwn control characters", () => {
    const message = slackMessage(
      alertMessage({ title: 'x'.repeat(400), summary: 'a <b> & c', links: { api: '/admin/alerts/1' } }),
    );
    const [header, summary] = blocksOf(message);
    expect(header?.text?.text.length).toBe(150);
    expect(summary?.text?.text).toBe('a &lt;b&gt; &amp; c');
    // A relative API link is no button.
    expect(blocksOf(message).some((block) => block.type === 'actions')).toBe(false);
  });

  it('never cuts an emoji in half (half a surrogate pair is not Unicode; the API refuses one in its own input)', () => {
    for (let pad = 0; pad < 4; pad++) {
      const title = `${'x'.repeat(120 + pad)}${'\u{1F4A5}'.repeat(40)}`;
      const message = slackMessage(alertMessage({ title, summary: '\u{1F4A5}'.repeat(2000) }));
      const [header, summary] = blocksOf(message);
      expect(wellFormed(header?.text?.text), `pad ${pad}`).toBe(true);
      expect(header?.text?.text.length).toBeLessThanOrEqual(150);
      expect(wellFormed(summary?.text?.text), `pad ${pad}`).toBe(true);
      expect(wellFormed(message.text)).toBe(true);
    }
  });
});
