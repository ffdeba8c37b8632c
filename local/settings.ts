// Fixed identity of the local stack: the region, account and credentials every emulator and client uses.
export interface LocalAwsSettings {
  readonly host: string;
  readonly region: string;
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * LLM prices on the local stack (LLM_PRICES, USD per 1M tokens) unless LLM_PRICES is set: the fake LLM's
 * models priced like a small hosted model, so local runs show costs as a deployment would.
 */
export const LOCAL_LLM_PRICES = JSON.stringify({
  'openai:stepwise-local': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'openai:fake-llm-1': { input: 0.15, output: 0.6, cachedInput: 0.075 },
});

export const LOCAL_AWS: LocalAwsSettings = {
  host: '127.0.0.1',
  region: 'us-east-1',
  accountId: '000000000000',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
