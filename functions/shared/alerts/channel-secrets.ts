// Channel secrets in Secrets Manager: the api writes them (one secret per channel, named for its scope
// and id under the deployment's prefix) and keeps only the ARN; the notifier reads them through
// ../secrets.ts, cached briefly so a rotation reaches deliveries within a minute. On the local
// stack the same calls reach local/secrets-manager.ts (AWS_ENDPOINT_URL_SECRETS_MANAGER).
import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '../clients/secrets-manager';
import type { SecretsGetter } from '../secrets';
import {
  type AlertChannel,
  type ChannelScope,
  type ChannelSecret,
  isDeploymentScope,
  parseSecret,
} from './channel';

export interface ChannelSecretWriter {
  /** Stores `text` as the secret `name` (creating it, or adding a version); returns its ARN. */
  write(name: string, text: string): Promise<string>;
  /** Deletes a secret stepwise created, at once (no recovery window, so its name can be used again). */
  delete(arn: string): Promise<void>;
}

export const ALERT_SECRET_PREFIX_ENV = 'ALERT_SECRET_PREFIX';

/**
 * The part of a secret name that names the scope: `deployment`, or `org/<org>-<hash>` with the org id
 * cut to the characters secret names allow (the hash keeps two orgs that read alike apart).
 */
function scopeSecretPath(scope: ChannelScope): string {
  if (isDeploymentScope(scope)) return 'deployment';
  const readable = scope.org.replace(/[^A-Za-z0-9_+=.@-]/g, '-').slice(0, 64);
  const hash = createHash('sha256').update(scope.org).digest('hex').slice(0, 10);
  return `org/${readable}-${hash}`;
}

/** `<prefix>/alert-channels/<scope>/<channel id>`. */
export function channelSecretName(prefix: string, scope: ChannelScope, channelId: string): string {
  return `${prefix}/alert-channels/${scopeSecretPath(scope)}/${channelId}`;
}

/** The secret name in an ARN (`...:secret:<name>-<6 random characters>`). */
export function secretNameOfArn(arn: string): string {
  const name = arn.slice(arn.indexOf(':secret:') + ':secret:'.length);
  return name.replace(/-[A-Za-z0-9]{6}$/, '');
}

export class SecretsManagerChannelSecrets implements ChannelSecretWriter {
  constructor(private readonly client: Pick<SecretsManagerClient, 'send'>) {}

  async write(name: string, text: string): Promise<string> {
    try {
      const created = await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: text,
          Description: 'stepwise alert channel secret (written by the API)',
        }),
      );
      return created.ARN ?? '';
    } catch (error) {
      if ((error as { name?: unknown } | undefined)?.name !== 'ResourceExistsException') throw error;
    }
    const updated = await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: text }));
    return updated.ARN ?? '';
  }

  /**
   * A secret already gone is deleted: two PUTs of the same scope at once both drop the channel they
   * replace, and the second DeleteSecret finds nothing (ResourceNotFoundException), which is no failure.
   */
  async delete(arn: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if ((error as { name?: unknown } | undefined)?.name !== 'ResourceNotFoundException') throw error;
    }
  }
}

/**
 * Reads channels' secrets by their ARN, each kept `maxAgeSeconds` (a rotation reaches deliveries within
 * it); a secret with no string value is unreadable like a malformed one (ChannelSecretUnreadable).
 */
export function channelSecretReader(
  secrets: SecretsGetter,
  maxAgeSeconds: number,
): (channel: AlertChannel) => Promise<ChannelSecret> {
  return async (channel) => {
    const text = await secrets.get(channel.secretRef, { maxAge: maxAgeSeconds });
    return parseSecret(channel.type, typeof text === 'string' ? text : '');
  };
}
