// A small Secrets Manager for the local stack: the JSON 1.1 protocol (`X-Amz-Target:
// secretsmanager.<Action>`) for the calls stepwise makes (CreateSecret, PutSecretValue, GetSecretValue,
// DescribeSecret, DeleteSecret), so the api and the notifier use the real SDK client and Powertools
// Parameters through AWS_ENDPOINT_URL_SECRETS_MANAGER, as on AWS. Secrets are kept in one JSON file
// under the data folder, so a restart keeps them. Only the current version of a secret is kept.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { closeServer, listenPreferring } from './listen';
import type { LocalAwsSettings } from './settings';

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly description?: string;
  readonly createdAt: number;
  versionId: string;
  secretString: string;
}

export interface LocalSecretsManager {
  readonly url: string;
  close(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

const FILE = 'secrets-manager.json';
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

type Request = Record<string, unknown>;

export async function startSecretsManager(
  settings: LocalAwsSettings,
  dataDir: string,
  preferredPort?: number,
): Promise<LocalSecretsManager> {
  const path = join(dataDir, FILE);
  const secrets = new Map<string, StoredSecret>();
  try {
    for (const secret of JSON.parse(await readFile(path, 'utf8')) as StoredSecret[]) {
      secrets.set(secret.name, secret);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Writes are chained, so two requests never write the file at once.
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      // Owner-only, like dev-credentials.json: it holds webhook URLs and signing secrets in the clear.
      await writeFile(`${path}.tmp`, JSON.stringify([...secrets.values()]), { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    });
    return saving;
  };

  const find = (id: unknown): StoredSecret => {
    const secret =
      typeof id === 'string'
        ? (secrets.get(id) ?? [...secrets.values()].find((candidate) => candidate.arn === id))
        : undefined;
    if (!secret)
      throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const secretString = (request: Request): string => {
    if (typeof request.SecretString !== 'string') {
      throw new ServiceError('InvalidParameterException', 'Only SecretString is supported locally.');
    }
    return request.SecretString;
  };
  const versionId = (request: Request) =>
    typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : randomUUID();

  const actions: Record<string, (request: Request) => Promise<Record<string, unknown>>> = {
    CreateSecret: async (request) => {
      const name = request.Name;
      if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
        throw new ServiceError(
          'InvalidParameterException',
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      }
      if (secrets.has(name)) {
        throw new ServiceError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      // AWS appends six random characters to the name in the ARN.
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const secret: StoredSecret = {
        arn: `arn:aws:secretsmanager:${settings.region}:${settings.accountId}:secret:${name}-${suffix}`,
        name,
        ...(typeof request.Description === 'string' && { description: request.Description }),
        createdAt: Date.now() / 1000,
        versionId: versionId(request),
        secretString: secretString(request),
      };
      secrets.set(name, secret);
      await save();
      return { ARN: secret.arn, Name: name, VersionId: secret.versionId };
    },
    PutSecretValue: async (request) => {
      const secret = find(request.SecretId);
      secret.secretString = secretString(request);
      secret.versionId = versionId(request);
      await save();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    GetSecretValue: async (request) => {
      const secret = find(request.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdAt,
      };
    },
    DescribeSecret: async (request) => {
      const secret = find(request.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description && { Description: secret.description }),
        CreatedDate: secret.createdAt,
        VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
      };
    },
    DeleteSecret: async (request) => {
      const secret = find(request.SecretId);
      // Deleted at once whatever the recovery window asked: nothing here restores a secret.
      secrets.delete(secret.name);
      await save();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 };
    },
  };

  const answer = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      ...(errorType && { 'x-amzn-ErrorType': errorType }),
    });
    response.end(JSON.stringify(body));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const action = actions[target.replace(/^secretsmanager\./, '')];
    if (request.method !== 'POST' || !target.startsWith('secretsmanager.') || !action) {
      answer(
        response,
        400,
        {
          __type: 'UnknownOperationException',
          message: `${target || 'no X-Amz-Target'} is not served locally`,
        },
        'UnknownOperationException',
      );
      return;
    }
    let input: Request;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      input = text === '' ? {} : (JSON.parse(text) as Request);
    } catch {
      answer(
        response,
        400,
        { __type: 'SerializationException', message: 'The body is not JSON' },
        'SerializationException',
      );
      return;
    }
    try {
      answer(response, 200, await action(input));
    } catch (error) {
      if (error instanceof ServiceError) {
        answer(response, 400, { __type: error.type, message: error.message }, error.type);
        return;
      }
      answer(
        response,
        500,
        { __type: 'InternalServiceError', message: String(error) },
        'InternalServiceError',
      );
    }
  };

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });
  const url = await listenPreferring(server, preferredPort, settings.host);
  return {
    url,
    close: async () => {
      await closeServer(server);
      await saving;
    },
  };
}
