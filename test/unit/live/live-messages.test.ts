import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../../functions/shared/live/live-messages';

describe('client messages of stepwise.v1', () => {
  it('reads subscribe, unsubscribe and ping', () => {
    expect(parseClientMessage('{"action":"ping"}')).toEqual({ action: 'ping' });
    expect(parseClientMessage('{"action":"subscribe","topic":"task","taskId":"t1"}')).toEqual({
      action: 'subscribe',
      topic: 'task',
      taskId: 't1',
    });
    expect(parseClientMessage('{"action":"unsubscribe","topic":"alerts","org":"*"}')).toEqual({
      action: 'unsubscribe',
      topic: 'alerts',
      org: '*',
    });
  });

  it.each([
    [undefined, 'body'],
    ['', 'body'],
    ['{', 'body'],
    ['null', 'body'],
    ['"subscribe"', 'body'],
    ['{"action":1}', 'action'],
    ['{"action":"subscribe","topic":"tasks","org":"a b"}', 'org'],
    ['{"action":"subscribe","topic":"task","taskId":"t1","org":"x"}', 'org'],
    [`{"action":"subscribe","topic":"task","taskId":"${'x'.repeat(129)}"}`, 'taskId'],
  ])('answers %j with an error naming %s', (body, field) => {
    expect(parseClientMessage(body)).toMatchObject({ type: 'error', field });
  });

  // The client reads these words: zod's English messages come from the locale functions/shared/zod-mini.ts
  // configures (zod/mini has none of its own), the rest from the schema.
  it.each([
    ['{"action":"subscribe","topic":"task"}', 'taskId: is required for topic task'],
    ['{"action":"subscribe","topic":"tasks","taskId":"t1"}', 'taskId: is only for topic task'],
    [
      '{"action":"subscribe","topic":"task","taskId":"t1","org":"x"}',
      'org: is not for topic task (the task names it)',
    ],
    [
      '{"action":"subscribe","topic":"tasks","org":"a b"}',
      'org: must have no spaces, control or formatting characters',
    ],
    [
      '{"action":"subscribe","topic":"workers","org":"a#WF#b"}',
      'org: must be an organization id (letters, digits, _, - or ., starting with a letter or digit, at most 64 characters, not DEPLOYMENT) or *',
    ],
    [
      `{"action":"subscribe","topic":"task","taskId":"${'x'.repeat(129)}"}`,
      'taskId: Too big: expected string to have <=128 characters',
    ],
    [
      '{"action":"subscribe","topic":"tasks","org":7}',
      'org: Invalid input: expected string, received number',
    ],
    [
      '{"action":"subscribe","topic":"steps"}',
      'topic: Invalid option: expected one of "tasks"|"task"|"workers"|"alerts"',
    ],
    ['{"action":"ping","a":1,"b":2}', 'a, b: unknown field'],
  ])('answers %j with the message %j', (body, message) => {
    expect(parseClientMessage(body)).toEqual({ type: 'error', field: message.split(':')[0], message });
  });
});
