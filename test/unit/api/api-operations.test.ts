// A type-level check, enforced by `tsc --noEmit` (part of `npm test`): the operations receive the
// authenticated Identity itself, so a role can only be one of the product's roles.
import { describe, expectTypeOf, it } from 'vitest';
import type { ApiOperation } from '../../../functions/shared/api/api-routes';
import type { Identity } from '../../../functions/shared/auth/identity';

describe('API operations', () => {
  it('take the Identity the authorizer established, not a looser copy of it', () => {
    expectTypeOf<Parameters<ApiOperation>[1]>().toEqualTypeOf<Identity>();
  });
});
