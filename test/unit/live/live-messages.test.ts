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
});
