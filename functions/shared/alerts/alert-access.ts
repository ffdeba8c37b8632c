// Who may see an alert: OPERATORs every alert; OWNERs and ADMINs those of their own organization. Alerts
// without an org (a DLQ, a dead worker that held several orgs' steps) are for operators only. Routes answer
// an alert the caller may not see exactly as one that does not exist (404), so ids reveal nothing.
import type { Identity } from '../auth/identity';
import { isOperator } from '../auth/identity';
import type { AlertRecord } from './alert';

const ORG_ROLES: ReadonlySet<string> = new Set(['OWNER', 'ADMIN']);

export function canSeeAlert(
  identity: Pick<Identity, 'orgId' | 'role'>,
  alert: Pick<AlertRecord, 'org'>,
): boolean {
  if (isOperator(identity)) return true;
  return alert.org !== undefined && alert.org === identity.orgId && ORG_ROLES.has(identity.role);
}
