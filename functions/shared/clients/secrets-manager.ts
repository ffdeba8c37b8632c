// The Secrets Manager client (see once.ts for how clients are made): secrets are read on first use and
// cached (../secrets.ts), written only by the alert channel routes, so the SDK package is loaded on the
// first call, not at cold start (lazy-sdk.ts).
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { once } from './once';
import { type ServiceClient, serviceCommand } from './service-command';

export type SecretsManagerClient = ServiceClient<'secretsmanager'>;

export function createSecretsManagerClient(settings: ClientSettings = {}): SecretsManagerClient {
  return lazySdkClient(
    'secretsmanager',
    () => import('@aws-sdk/client-secrets-manager'),
    (sdk) => new sdk.SecretsManagerClient(settings),
  );
}

export const secretsManagerClient = once(() => createSecretsManagerClient());

export const GetSecretValueCommand = serviceCommand<
  'secretsmanager',
  SecretsManager.GetSecretValueCommandInput,
  SecretsManager.GetSecretValueCommandOutput
>('secretsmanager', 'GetSecretValue');
export const CreateSecretCommand = serviceCommand<
  'secretsmanager',
  SecretsManager.CreateSecretCommandInput,
  SecretsManager.CreateSecretCommandOutput
>('secretsmanager', 'CreateSecret');
export const PutSecretValueCommand = serviceCommand<
  'secretsmanager',
  SecretsManager.PutSecretValueCommandInput,
  SecretsManager.PutSecretValueCommandOutput
>('secretsmanager', 'PutSecretValue');
export const DeleteSecretCommand = serviceCommand<
  'secretsmanager',
  SecretsManager.DeleteSecretCommandInput,
  SecretsManager.DeleteSecretCommandOutput
>('secretsmanager', 'DeleteSecret');
