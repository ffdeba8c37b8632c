import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../../functions/shared/alerts/webhook-signature';
import { alertMessage } from './alert-fixtures';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify(alertMessage());

describe('Standard Webhooks signature', () => {
  it('verifies with the standardwebhooks package', () => {
    const secret = newSecret();
    const headers = signWebhook([secret], 'msg_1', new Date(), body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(alertMessage());
  });

  it('fails after one byte of the body changes', () => {
    const secret = newSecret();
    const headers = signWebhook([secret], 'msg_1', new Date(), body);
    const tampered = body.replace('60%', '61%');
    expect(tampered).not.toBe(body);
    expect(() => new Webhook(secret).verify(tampered, { ...headers })).toThrow('No matching signature found');
  });

  it('fails with a timestamp older than 5 minutes', () => {
    const secret = newSecret();
    const headers = signWebhook([secret], 'msg_1', new Date(Date.now() - 5 * 60_000 - 2_000), body);
    expect(() => new Webhook(secret).verify(body, { ...headers })).toThrow('Message timestamp too old');
  });

  it('carries one signature per secret, so either side of a rotation verifies', () => {
    const [previous, next, unrelated] = [newSecret(), newSecret(), newSecret()];
    const headers = signWebhook([previous, next], 'msg_2', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(previous).verify(body, { ...headers })).toBeTruthy();
    expect(new Webhook(next).verify(body, { ...headers })).toBeTruthy();
    expect(() => new Webhook(unrelated).verify(body, { ...headers })).toThrow('No matching signature found');
  });
});
