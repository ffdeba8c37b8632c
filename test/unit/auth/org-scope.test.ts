import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../functions/shared/auth/identity';
import { orgScope } from '../../../functions/shared/auth/org-scope';
import { ForbiddenError } from '../../../functions/shared/http/errors';

const operator: Identity = { orgId: '*', role: 'OPERATOR', principal: 'k1', method: 'api-key' };
const admin: Identity = { orgId: 'acme', role: 'ADMIN', principal: 'k2', method: 'api-key' };

describe('orgScope', () => {
  it('gives an OPERATOR the org it names, or every org (undefined) when it names none', () => {
    expect(orgScope(operator, 'acme')).toBe('acme');
    expect(orgScope(operator, undefined)).toBeUndefined();
  });

  it('keeps a tenant to its own org, and refuses another with 403 naming OPERATOR', () => {
    expect(orgScope(admin, undefined)).toBe('acme');
    expect(orgScope(admin, 'acme')).toBe('acme');
    expect(() => orgScope(admin, 'globex')).toThrow(ForbiddenError);
    expect(() => orgScope(admin, 'globex')).toThrow(/^org: ADMIN reads its own organization \(acme\)/);
  });
});
