// A revoked API key is refused from its revocation on, on the live endpoint too: the authorizer refuses a
// new connection, and the revocation removes the connections the key already holds (live-store.ts keeps
// them per key), so they hear nothing more and their next subscribe is told to reconnect. Without it, an
// open WebSocket kept hearing, and subscribing, until API Gateway's 2-hour limit. A connection authorized
// just before the revocation but stored after its list of the key's connections is removed by its own
// $connect, which looks for the revocation's mark once the connection is stored (live-session.ts).
import { type ApiKeyStore, DynamoApiKeyStore } from '../auth/api-keys';
import type { DocumentClient } from '../clients/table-commands';
import { DynamoLiveStore, type KeyConnections } from './live-store';

/** The table's API keys, for a caller that revokes them (the api, the CLI): with their live connections. */
export const dynamoRevocableApiKeys = (client: DocumentClient, tableName: string): ApiKeyStore =>
  revokingLiveAccess(new DynamoApiKeyStore(client, tableName), new DynamoLiveStore(client, tableName));

export function revokingLiveAccess(keys: ApiKeyStore, live: KeyConnections): ApiKeyStore {
  return {
    create: (key, keyHash) => keys.create(key, keyHash),
    findByKey: (plaintext) => keys.findByKey(plaintext),
    list: (orgId, limit, cursor) => keys.list(orgId, limit, cursor),
    async revoke(orgId, keyId, at) {
      const revoked = await keys.revoke(orgId, keyId, at);
      // Also after a repeated revoke: a removal cut short by a failure is finished by the next call.
      if (revoked) {
        await live.markRevoked(orgId, keyId);
        for (const connectionId of await live.connectionsOfKey(orgId, keyId)) {
          await live.removeConnection(connectionId);
        }
      }
      return revoked;
    },
  };
}
