import { describe, expect, it } from 'vitest';
import { SecretsManagerChannelSecrets } from '../../../functions/shared/alerts/channel-secrets';

const failing = (name: string) => ({
  send: async () => {
    throw Object.assign(new Error(`${name} from Secrets Manager`), { name });
  },
});

describe('channel secret writer', () => {
  it('deletes a secret that is already gone without failing (two PUTs replacing the same channel)', async () => {
    const secrets = new SecretsManagerChannelSecrets(failing('ResourceNotFoundException') as never);
    await expect(
      secrets.delete('arn:aws:secretsmanager:us-east-1:1:secret:gone-AbC123'),
    ).resolves.toBeUndefined();
  });

  it('passes on any other failure of the delete', async () => {
    const secrets = new SecretsManagerChannelSecrets(failing('AccessDeniedException') as never);
    await expect(secrets.delete('arn:aws:secretsmanager:us-east-1:1:secret:x-AbC123')).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
