// API key management for an organization's OWNERs: create (the secret is in this one response only),
// list (never a secret or hash), revoke. OPERATOR keys are not made here: they belong to the deployment
// and are created with its AWS credentials (`npm run stepwise -- keys create-operator`).
import { type ApiKeyRecord, createApiKey } from '../auth/api-keys';
import { hasAccess } from '../auth/authorize';
import { ROLES } from '../auth/identity';
import { ForbiddenError, jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { printable } from '../http/free-text';
import { parseJsonBody } from '../http/json-body';
import * as z from '../zod-mini';
import type { ApiOperation } from './api-routes';
import { cursorBinding, ListQuerySchema, noBody, noQuery, parseWith, pathParameter } from './request';

const CreateApiKeySchema = z.strictObject({
  // Trimmed, so a name of spaces is refused as blank and a listed name has no invisible ends.
  name: z.string().check(z.trim(), z.minLength(1, 'must not be blank'), z.maxLength(128), printable()),
  role: z.enum(ROLES, {
    error: `must be one of ${ROLES.join(', ')} (OPERATOR keys are created by the deployment: keys create-operator)`,
  }),
});

/** keyIds are 6 random bytes in base64url. */
const KEY_ID = /^[A-Za-z0-9_-]{8}$/;

/** What a listing shows of a key: never its secret or hash. */
const publicKey = ({ keyId, name, role, createdAt, revokedAt }: ApiKeyRecord) => ({
  keyId,
  name,
  role,
  createdAt,
  ...(revokedAt !== undefined && { revokedAt }),
});

export const API_KEY_OPERATIONS: Record<string, ApiOperation> = {
  'POST /api-keys': async (event, identity, deps) => {
    noQuery(event);
    const body = parseWith(CreateApiKeySchema, parseJsonBody(event), 'API key request');
    // A caller grants at most its own role (the route table admits OWNERs only today).
    if (!hasAccess(identity.role, body.role)) {
      throw new ForbiddenError(`role: a ${identity.role} cannot create ${body.role} keys`, body.role);
    }
    const { plaintext, key } = await createApiKey(deps.apiKeys, { orgId: identity.orgId, ...body });
    const response = jsonResponse(201, { ...publicKey(key), apiKey: plaintext });
    // The secret is in this response only: no cache along the way may keep it.
    response.headers = { ...response.headers, 'cache-control': 'no-store' };
    return response;
  },

  'GET /api-keys': async (event, identity, deps) => {
    const query = parseWith(ListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const binding = cursorBinding(event, identity, query);
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.apiKeys.list(identity.orgId, query.limit ?? 50, cursor);
    return jsonResponse(200, {
      items: page.items.map(publicKey),
      cursor: await deps.cursors.sign(binding, page.cursor),
    });
  },

  'DELETE /api-keys/{keyId}': async (event, identity, deps) => {
    noQuery(event);
    noBody(event);
    const keyId = pathParameter(event, 'keyId');
    if (!KEY_ID.test(keyId)) {
      throw new ValidationError('Invalid path parameter keyId', [
        { field: 'keyId', message: 'keyId is 8 characters of A-Z a-z 0-9 _ -, as keys are listed' },
      ]);
    }
    const revoked = await deps.apiKeys.revoke(identity.orgId, keyId, new Date().toISOString());
    if (!revoked) throw new NotFoundError(`API key ${keyId} not found`);
    return jsonResponse(200, publicKey(revoked));
  },
};
