// Which Lambda functions each organization's `lambda` steps may invoke: a per-deployment allowlist of
// full, unqualified function ARNs by org id, given as JSON in LAMBDA_FUNCTIONS (the CDK stack sets it from
// its `lambdaFunctions` prop; the local stack passes the same variable through). The step runner's IAM
// policy lists exactly these ARNs, registration refuses any other literal ARN, and the step runner checks
// again at run time, where a `functionArn.$` reference has been resolved.

import { isOrgId, ORG_ID_RULE } from '../auth/identity';
import { ConfigurationError } from '../config';

/** An unqualified function ARN in any partition: what the allowlist holds and IAM grants. */
export const FUNCTION_ARN =
  /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}$/;
/** A version or alias after the ARN (`:1`, `:live`, `:$LATEST`). */
const QUALIFIER = /^(\$LATEST|[A-Za-z0-9_-]{1,128})$/;

/** Function ARNs by org id. */
export type LambdaAllowlist = Readonly<Record<string, readonly string[]>>;

/** Parses an allowlist (JSON object of org id -> ARN list), naming `source` in every error. */
export function parseLambdaAllowlist(json: string, source: string): LambdaAllowlist {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigurationError(
      `${source} is not JSON: expected {"<orgId>": ["arn:aws:lambda:...:function:<name>"]}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(`${source} must be a JSON object of org id -> function ARNs`);
  }
  const allowlist: Record<string, readonly string[]> = {};
  for (const [orgId, arns] of Object.entries(value)) {
    if (!isOrgId(orgId)) {
      throw new ConfigurationError(
        `${source} key ${JSON.stringify(orgId)} is not an organization id (${ORG_ID_RULE})`,
      );
    }
    if (!Array.isArray(arns) || !arns.every((arn) => typeof arn === 'string' && FUNCTION_ARN.test(arn))) {
      throw new ConfigurationError(
        `${source}.${orgId} must be a list of unqualified function ARNs (arn:aws:lambda:<region>:<account>:function:<name>)`,
      );
    }
    allowlist[orgId] = arns;
  }
  return allowlist;
}

/** LAMBDA_FUNCTIONS; unset means no org may invoke any function. */
export function loadLambdaAllowlist(env: NodeJS.ProcessEnv = process.env): LambdaAllowlist {
  const json = env.LAMBDA_FUNCTIONS;
  return json ? parseLambdaAllowlist(json, 'LAMBDA_FUNCTIONS') : {};
}

/** True when `functionArn` is an allowed ARN of the org, bare or with a version/alias qualifier. */
export function isLambdaAllowed(allowlist: LambdaAllowlist, orgId: string, functionArn: string): boolean {
  const allowed = Object.hasOwn(allowlist, orgId) ? (allowlist[orgId] ?? []) : [];
  return allowed.some(
    (arn) =>
      functionArn === arn ||
      (functionArn.startsWith(`${arn}:`) && QUALIFIER.test(functionArn.slice(arn.length + 1))),
  );
}

/** What the org may invoke, for error messages (the org's own functions only). */
export function describeAllowed(allowlist: LambdaAllowlist, orgId: string): string {
  const allowed = Object.hasOwn(allowlist, orgId) ? (allowlist[orgId] ?? []) : [];
  return allowed.length > 0
    ? `allowed: ${allowed.join(', ')}`
    : 'the deployment allows this organization no functions (lambdaFunctions)';
}
