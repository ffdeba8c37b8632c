// Whose data a read route opened to operators answers with: an OPERATOR names an org (`?org=`) or, with
// none, means every org; anyone else reads their own org only, and naming another is a 403. Every route
// marked `operators: true` in ROUTES scopes its reads through this.
import { ForbiddenError } from '../http/errors';
import { type Identity, isOperator } from './identity';

/** The org to read (undefined: every org, for operators only). */
export function orgScope(identity: Identity, org?: string): string | undefined {
  if (isOperator(identity)) return org;
  if (org !== undefined && org !== identity.orgId) {
    throw new ForbiddenError(
      `org: ${identity.role} reads its own organization (${identity.orgId}); other organizations need OPERATOR`,
      'OPERATOR',
    );
  }
  return identity.orgId;
}
