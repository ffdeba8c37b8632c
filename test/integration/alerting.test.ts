// The alerting service over the DynamoDB alert store (dynalite): one alert per dedup key, counted repeats,
// escalation, reminders once per cooldown, resolve, flapping reopening the same alert, acknowledgement,
// the OPEN-by-kind index the rules read, and the listing's filters and cursor.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it, vi } from 'vitest';
import type { AlertMessage, AlertSignal } from '../../functions/shared/alerts/alert';
import { DynamoAlertStore, RESOLVED_RETENTION_SECONDS } from '../../functions/shared/alerts/alert-store';
import { createAlerting } from '../../functions/shared/alerts/alerting';
import { type DocumentClient, GetCommand } from '../../functions/shared/clients/table-commands';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const store = new DynamoAlertStore(documents, endpoints.tableName);
const START = Date.parse('2026-11-27T12:00:00.000Z');

function harness(cooldownSeconds = 600) {
  let clock = START;
  const published: AlertMessage[] = [];
  const alerting = createAlerting({
    store,
    publish: async (message) => void published.push(message),
    now: () => new Date(clock),
    cooldownSeconds,
    links: { apiBaseUrl: 'https://api.example.test/', consoleBaseUrl: 'https://console.example.test' },
  });
  const advance = (seconds: number) => {
    clock += seconds * 1000;
  };
  return { alerting, published, advance, events: () => published.map((message) => message.event) };
}

const signal = (fields: Partial<AlertSignal> = {}): AlertSignal => ({
  dedupKey: `ERROR_RATE#WF#org-${randomUUID()}#wf`,
  kind: 'ERROR_RATE',
  severity: 'WARNING',
  title: 'Error rate of wf is 30 %',
  summary: '3 of 10 tasks failed in 5 min.',
  org: 'org-a',
  workflow: 'wf',
  value: 0.3,
  threshold: 0.2,
  ...fields,
});

describe('alerting', () => {
  it('opens one alert per dedup key and publishes it with links', async () => {
    const { alerting, published } = harness();
    const raised = await alerting.raise(signal());
    expect(raised.event).toBe('OPENED');
    expect(raised.alert).toMatchObject({
      state: 'OPEN',
      count: 1,
      firstSeenAt: '2026-11-27T12:00:00.000Z',
      lastSeenAt: '2026-11-27T12:00:00.000Z',
      links: {
        api: `https://api.example.test/admin/alerts/${raised.alert.id}`,
        console: `https://console.example.test/alerts/${raised.alert.id}`,
      },
    });
    expect(published).toEqual([{ type: 'stepwise.alert', version: 1, event: 'OPENED', alert: raised.alert }]);
    expect(await alerting.get(raised.alert.id)).toEqual(raised.alert);
  });

  it('counts repeats without publishing them, and updates lastSeenAt and the value', async () => {
    const { alerting, advance, events } = harness();
    const first = await alerting.raise(signal());
    advance(60);
    const again = await alerting.raise({ ...signal({ value: 0.35 }), dedupKey: first.alert.dedupKey });
    expect(again.event).toBeNull();
    expect(again.alert).toMatchObject({
      id: first.alert.id,
      count: 2,
      value: 0.35,
      firstSeenAt: first.alert.firstSeenAt,
      lastSeenAt: '2026-11-27T12:01:00.000Z',
    });
    expect(events()).toEqual(['OPENED']);
  });

  it('escalates an OPEN alert raised at a higher severity, and keeps it when raised lower', async () => {
    const { alerting, published } = harness();
    const first = await alerting.raise(signal());
    const key = first.alert.dedupKey;
    const critical = await alerting.raise(signal({ dedupKey: key, severity: 'CRITICAL', value: 0.6 }));
    expect(critical.event).toBe('ESCALATED');
    expect(critical.alert).toMatchObject({ id: first.alert.id, severity: 'CRITICAL', count: 2 });
    const lower = await alerting.raise(
      signal({ dedupKey: key, severity: 'WARNING', value: 0.25, summary: 'x' }),
    );
    expect(lower.event).toBeNull();
    expect(lower.alert).toMatchObject({ severity: 'CRITICAL', value: 0.25, summary: critical.alert.summary });
    expect(published.map((message) => [message.event, message.alert.severity])).toEqual([
      ['OPENED', 'WARNING'],
      ['ESCALATED', 'CRITICAL'],
    ]);
  });

  it('publishes a REMINDER of a still-OPEN alert only once the cooldown has passed since the last message', async () => {
    const { alerting, advance, events } = harness(600);
    const key = (await alerting.raise(signal())).alert.dedupKey;
    advance(599);
    expect((await alerting.raise(signal({ dedupKey: key }))).event).toBeNull();
    advance(1);
    expect((await alerting.raise(signal({ dedupKey: key }))).event).toBe('REMINDER');
    advance(300);
    expect((await alerting.raise(signal({ dedupKey: key }))).event).toBeNull();
    expect(events()).toEqual(['OPENED', 'REMINDER']);
  });

  it('resolves an OPEN alert once, publishes RESOLVED, and sets it to expire 30 days later', async () => {
    const { alerting, advance, events } = harness();
    const { alert } = await alerting.raise(signal());
    advance(120);
    const resolved = await alerting.resolve(alert.dedupKey, 'Error rate back to 2 %.');
    expect(resolved).toMatchObject({
      id: alert.id,
      state: 'RESOLVED',
      resolvedAt: '2026-11-27T12:02:00.000Z',
      summary: 'Error rate back to 2 %.',
    });
    expect(await alerting.resolve(alert.dedupKey)).toBeUndefined();
    expect(await alerting.resolve(`NOTHING#${randomUUID()}`)).toBeUndefined();
    expect(events()).toEqual(['OPENED', 'RESOLVED']);
    const { Item } = await documents.send(
      new GetCommand({ TableName: endpoints.tableName, Key: { pk: `ALERT#${alert.id}`, sk: 'ALERT' } }),
    );
    expect(Item?.expiresAt).toBe(Date.parse('2026-11-27T12:02:00.000Z') / 1000 + RESOLVED_RETENTION_SECONDS);
  });

  it('reopens the same alert when its key fires again within the cooldown (flapping), a new one after', async () => {
    const { alerting, advance, events } = harness(600);
    const first = await alerting.raise(signal());
    const key = first.alert.dedupKey;
    await alerting.resolve(key);
    advance(300);
    const reopened = await alerting.raise(signal({ dedupKey: key }));
    expect(reopened).toMatchObject({
      event: 'OPENED',
      alert: { id: first.alert.id, state: 'OPEN', count: 2 },
    });
    expect(reopened.alert.resolvedAt).toBeUndefined();
    expect((await alerting.open('ERROR_RATE')).map((alert) => alert.id)).toContain(first.alert.id);
    await alerting.resolve(key);
    advance(601);
    const fresh = await alerting.raise(signal({ dedupKey: key }));
    expect(fresh.event).toBe('OPENED');
    expect(fresh.alert.id).not.toBe(first.alert.id);
    expect(fresh.alert.count).toBe(1);
    expect(events()).toEqual(['OPENED', 'RESOLVED', 'OPENED', 'RESOLVED', 'OPENED']);
  });

  it('lists the OPEN alerts of a kind from the index, without the resolved ones or other kinds', async () => {
    const { alerting } = harness();
    const open = await alerting.raise(signal({ kind: 'TASK_STUCK', dedupKey: `TASK_STUCK#${randomUUID()}` }));
    const resolved = await alerting.raise(
      signal({ kind: 'TASK_STUCK', dedupKey: `TASK_STUCK#${randomUUID()}` }),
    );
    await alerting.resolve(resolved.alert.dedupKey);
    const other = await alerting.raise(
      signal({ kind: 'SLOW_TASKS', dedupKey: `SLOW_TASKS#${randomUUID()}` }),
    );
    const ids = (await alerting.open('TASK_STUCK')).map((alert) => alert.id);
    expect(ids).toContain(open.alert.id);
    expect(ids).not.toContain(resolved.alert.id);
    expect(ids).not.toContain(other.alert.id);
  });

  it('records who acknowledged a condition alert and leaves it OPEN; an event alert is resolved silently', async () => {
    const { alerting, events } = harness();
    const condition = await alerting.raise(signal());
    expect(await alerting.acknowledge(condition.alert.id, 'user-1')).toMatchObject({
      state: 'OPEN',
      acknowledgedBy: 'user-1',
      acknowledgedAt: '2026-11-27T12:00:00.000Z',
    });
    const dead = await alerting.raise(
      signal({ kind: 'WORKER_DEAD', severity: 'CRITICAL', dedupKey: `WORKER_DEAD#${randomUUID()}` }),
    );
    expect(await alerting.acknowledge(dead.alert.id, 'user-2')).toMatchObject({
      state: 'RESOLVED',
      resolvedAt: '2026-11-27T12:00:00.000Z',
      acknowledgedBy: 'user-2',
    });
    expect((await alerting.open('WORKER_DEAD')).map((alert) => alert.id)).not.toContain(dead.alert.id);
    expect(await alerting.acknowledge(randomUUID(), 'user-1')).toBeUndefined();
    expect(events()).toEqual(['OPENED', 'OPENED']);
  });

  it('answers concurrent acknowledgements of one alert with the one that landed, where most lost their write races (500)', async () => {
    const { alerting, advance } = harness();
    const raised = await alerting.raise(signal());
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => alerting.acknowledge(raised.alert.id, `user-${i}`)),
    );
    const stored = await alerting.get(raised.alert.id);
    expect(stored).toMatchObject({ state: 'OPEN', acknowledgedBy: expect.any(String) });
    for (const result of results) {
      expect(result).toMatchObject({
        acknowledgedBy: stored?.acknowledgedBy,
        acknowledgedAt: stored?.acknowledgedAt,
      });
    }
    // Acknowledged again later: that acknowledgement is the latest.
    advance(60);
    expect(await alerting.acknowledge(raised.alert.id, 'user-late')).toMatchObject({
      acknowledgedBy: 'user-late',
    });
  });

  it('counts concurrent raises of one key once each, in one alert published once', async () => {
    const { alerting, events } = harness();
    const key = signal().dedupKey;
    // A dozen at once: each write that loses a race reads again after a random pause, and lands.
    const results = await Promise.all(
      Array.from({ length: 12 }, () => alerting.raise(signal({ dedupKey: key }))),
    );
    expect(new Set(results.map((result) => result.alert.id)).size).toBe(1);
    expect(results.map((result) => result.alert.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(events()).toEqual(['OPENED']);
  });

  it('counts a raise that reads the key while the first raise is between its writes into the same alert', async () => {
    // The first raise's writes after its first one wait until a second raise of the key has finished: the
    // second reads the key exactly between them, where a pointer to an alert not yet written made it open a
    // second alert (a race seen under load).
    let releaseFirst: () => void = () => undefined;
    const secondDone = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstWrites = 0;
    const held: DocumentClient = {
      send: (async (command: { constructor: { name: string } }) => {
        if (command.constructor.name !== 'GetCommand' && command.constructor.name !== 'QueryCommand') {
          firstWrites += 1;
          if (firstWrites > 1) await secondDone;
        }
        return documents.send(command as never);
      }) as DocumentClient['send'],
    };
    const publish = async () => undefined;
    const links = { apiBaseUrl: 'https://api.example.test/' };
    const first = createAlerting({
      store: new DynamoAlertStore(held, endpoints.tableName),
      publish,
      now: () => new Date(START),
      links,
    });
    const second = createAlerting({ store, publish, now: () => new Date(START), links });
    const key = signal().dedupKey;
    const raisedFirst = first.raise(signal({ dedupKey: key }));
    await vi.waitFor(() => expect(firstWrites).toBe(2), { timeout: 5_000 }); // held at its second write
    const raisedSecond = await second.raise(signal({ dedupKey: key }));
    releaseFirst();
    const raised = await raisedFirst;
    expect(raisedSecond.alert.id).toBe(raised.alert.id);
    const stored = await store.get(raised.alert.id);
    expect(stored).toMatchObject({ state: 'OPEN', count: 2 });
    const listed = await store.list({ org: 'org-a', limit: 100 });
    expect(listed.items.filter((alert) => alert.dedupKey === key)).toHaveLength(1);
  });

  it('publishes an alert whose first publish failed as OPENED at the next raise, not after the cooldown', async () => {
    let failing = true;
    const published: AlertMessage[] = [];
    const alerting = createAlerting({
      store,
      publish: async (message) => {
        if (failing) throw new Error('SNS unavailable');
        published.push(message);
      },
      now: () => new Date(START),
      links: { apiBaseUrl: 'https://api.example.test' },
    });
    const key = signal().dedupKey;
    await expect(alerting.raise(signal({ dedupKey: key }))).rejects.toThrow('SNS unavailable');
    failing = false;
    const again = await alerting.raise(signal({ dedupKey: key }));
    expect(again).toMatchObject({ event: 'OPENED', alert: { count: 2, state: 'OPEN' } });
    expect(published.map((message) => message.event)).toEqual(['OPENED']);
    expect((await alerting.raise(signal({ dedupKey: key }))).event).toBeNull();
  });

  it('lists an org newest first, filtered by state, severity, kind and time, page by page with a cursor', async () => {
    const { alerting, advance } = harness();
    const org = `org-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const severity = i % 2 === 0 ? 'WARNING' : 'CRITICAL';
      ids.push((await alerting.raise(signal({ org, severity }))).alert.id);
      advance(60);
    }
    await alerting.raise(signal({ org: `${org}-other` }));
    const first = await alerting.list({ org, limit: 2 });
    expect(first.items.map((alert) => alert.id)).toEqual([ids[4], ids[3]]);
    const second = await alerting.list({ org, limit: 2, cursor: first.cursor });
    expect(second.items.map((alert) => alert.id)).toEqual([ids[2], ids[1]]);
    const last = await alerting.list({ org, limit: 2, cursor: second.cursor });
    expect(last.items.map((alert) => alert.id)).toEqual([ids[0]]);
    expect(last.cursor).toBeUndefined();
    expect((await alerting.list({ org, severity: 'CRITICAL', limit: 10 })).items.map((a) => a.id)).toEqual([
      ids[3],
      ids[1],
    ]);
    const warnings = await alerting.list({ org, severity: 'WARNING', limit: 1 });
    expect(warnings.items.map((a) => a.id)).toEqual([ids[4]]);
    const nextWarnings = await alerting.list({ org, severity: 'WARNING', limit: 5, cursor: warnings.cursor });
    expect(nextWarnings.items.map((a) => a.id)).toEqual([ids[2], ids[0]]);
    const window = await alerting.list({
      org,
      from: '2026-11-27T12:01:00.000Z',
      to: '2026-11-27T12:03:00.000Z',
      limit: 10,
    });
    expect(window.items.map((a) => a.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect((await alerting.list({ org, state: 'RESOLVED', limit: 10 })).items).toEqual([]);
    expect((await alerting.list({ org, kind: 'TASK_STUCK', limit: 10 })).items).toEqual([]);
  });
});
