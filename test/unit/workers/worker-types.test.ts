import { describe, expect, it } from 'vitest';
import {
  InvalidWorkerTypes,
  isOpenTo,
  loadWorkerTypes,
  parseWorkerTypes,
  workerTypesEnvironment,
} from '../../../functions/shared/workers/worker-types';
import { localWorkerTypes } from '../../../local/worker-types';

describe('worker types', () => {
  it('parses the cdk.json list and its JSON string alike; orgs default to every org', () => {
    const list = [{ name: 'research' }, { name: 'leads', orgs: ['org-a'] }];
    const expected = [
      { name: 'research', orgs: [] },
      { name: 'leads', orgs: ['org-a'] },
    ];
    expect(parseWorkerTypes(list, 'workerTypes')).toEqual(expected);
    expect(parseWorkerTypes(JSON.stringify(list), 'workerTypes')).toEqual(expected);
  });

  it.each([
    ['{', 'workerTypes is not JSON'],
    [{ name: 'x' }, 'workerTypes must be a list'],
    [[{ name: 'Bad Name' }], 'workerTypes[0].name must be a slug'],
    [[{ name: 'a' }, { name: 'a' }], 'workerTypes[1].name: worker type a is declared twice'],
    [[{ name: 'a-b' }, { name: 'a_b' }], 'workerTypes[1].name: worker type a_b is declared twice'],
    [[{ name: 'a', orgs: 'org-a' }], 'workerTypes[0].orgs must be a list'],
    [[{ name: 'a', orgs: ['a#WF#b'] }], 'workerTypes[0].orgs must be a list of organization ids'],
    [[{ name: 'a', orgs: ['*'] }], 'workerTypes[0].orgs must be a list of organization ids'],
    [[{ name: 'a', queue: 'x' }], 'workerTypes[0]: unknown field (queue)'],
    // The queue of research-dlq would be named as research's dead-letter queue (<prefix>research-dlq).
    [
      [{ name: 'research' }, { name: 'research-dlq' }],
      "workerTypes[1].name: worker type research-dlq's queue would be named as the dead-letter queue of research",
    ],
    [
      [{ name: 'research-dlq' }, { name: 'research' }],
      "workerTypes[0].name: worker type research-dlq's queue would be named as the dead-letter queue of research",
    ],
  ])('refuses %j, naming where', (raw, message) => {
    expect(() => parseWorkerTypes(raw, 'workerTypes')).toThrow(InvalidWorkerTypes);
    expect(() => parseWorkerTypes(raw, 'workerTypes')).toThrow(message);
  });

  it('round-trips through WORKER_TYPES, each queue URL derived from WORKER_QUEUE_URL_PREFIX', () => {
    const env = workerTypesEnvironment([
      { name: 'research', orgs: ['org-a'] },
      { name: 'review', orgs: [] },
    ]);
    // Two queue URLs per type in every function's 4 KB of environment capped a deployment at ~5 types.
    expect(env).toBe('[{"name":"research","orgs":["org-a"]},{"name":"review"}]');
    const types = loadWorkerTypes({ WORKER_TYPES: env, WORKER_QUEUE_URL_PREFIX: 'https://q/123/sw1-' });
    expect(types).toEqual({
      research: {
        name: 'research',
        orgs: ['org-a'],
        queueUrl: 'https://q/123/sw1-research',
        deadLetterQueueUrl: 'https://q/123/sw1-research-dlq',
      },
      review: {
        name: 'review',
        orgs: [],
        queueUrl: 'https://q/123/sw1-review',
        deadLetterQueueUrl: 'https://q/123/sw1-review-dlq',
      },
    });
    expect(isOpenTo(types.research as never, 'org-a')).toBe(true);
    expect(isOpenTo(types.research as never, 'org-b')).toBe(false);
    expect(loadWorkerTypes({})).toEqual({});
    expect(() => loadWorkerTypes({ WORKER_TYPES: env })).toThrow(/WORKER_QUEUE_URL_PREFIX is missing/);
  });

  it('on the local stack: the option, else STEPWISE_WORKER_TYPES, else the cdk.json context', () => {
    expect(localWorkerTypes([{ name: 'a', orgs: [] }], { STEPWISE_WORKER_TYPES: '[{"name":"b"}]' })).toEqual([
      { name: 'a', orgs: [] },
    ]);
    expect(localWorkerTypes(undefined, { STEPWISE_WORKER_TYPES: '[{"name":"b"}]' })).toEqual([
      { name: 'b', orgs: [] },
    ]);
    expect(localWorkerTypes(undefined, {})).toEqual([{ name: 'research', orgs: [] }]);
  });
});
