import { describe, expect, it } from 'vitest';
import { alertLinks } from '../../../functions/shared/alerts/alert';
import { canSeeAlert } from '../../../functions/shared/alerts/alert-access';
import { OPERATOR_ORG_ID } from '../../../functions/shared/auth/identity';

const operator = { orgId: OPERATOR_ORG_ID, role: 'OPERATOR' as const };

describe('who may see an alert', () => {
  it("shows OWNER and ADMIN their own org's alerts only, and never an org-less one", () => {
    for (const role of ['OWNER', 'ADMIN'] as const) {
      expect(canSeeAlert({ orgId: 'acme', role }, { org: 'acme' })).toBe(true);
      expect(canSeeAlert({ orgId: 'acme', role }, { org: 'globex' })).toBe(false);
      expect(canSeeAlert({ orgId: 'acme', role }, {})).toBe(false);
    }
    expect(canSeeAlert({ orgId: 'acme', role: 'MEMBER' }, { org: 'acme' })).toBe(false);
  });

  it('shows an operator every alert, org-less ones included', () => {
    expect(canSeeAlert(operator, { org: 'acme' })).toBe(true);
    expect(canSeeAlert(operator, {})).toBe(true);
  });
});

describe('alert links', () => {
  it('point at the API route and, when configured, the console, whatever trailing slashes the bases have', () => {
    expect(alertLinks({ apiBaseUrl: 'https://api.test/' }, 'a 1')).toEqual({
      api: 'https://api.test/admin/alerts/a%201',
    });
    expect(
      alertLinks({ apiBaseUrl: 'http://127.0.0.1:3000', consoleBaseUrl: 'https://c.test/app/' }, 'x'),
    ).toEqual({
      api: 'http://127.0.0.1:3000/admin/alerts/x',
      console: 'https://c.test/app/alerts/x',
    });
  });
});
