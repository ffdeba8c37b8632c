// A Secrets Manager provider that answers with one value and records what it was asked: Secrets Manager
// cannot run here. An Error value is thrown, as a failed GetSecretValue would be.
import type { SecretsGetter } from '../../functions/shared/secrets';

export function fakeSecrets(value: unknown = 'sk-from-secret') {
  const reads: { name: string; maxAge: number }[] = [];
  const getter: SecretsGetter = {
    get: async (name, options) => {
      reads.push({ name, maxAge: options.maxAge });
      if (value instanceof Error) throw value;
      return value;
    },
  };
  return { reads, secrets: () => getter };
}
