// The params each built-in action takes, by name: its schema (http.ts, llm/llm-action.ts, lambda.ts,
// transform.ts) is a strict object, so any other key fails every task with InvalidStepParams. Registration
// refuses such a key with these lists, kept apart from the actions so the registry does not bundle them (a
// unit test holds each list equal to its schema's keys).
export const ACTION_PARAM_KEYS = {
  http: ['method', 'url', 'headers', 'body', 'query', 'expectedStatus', 'timeoutMs', 'retry'],
  llm: ['provider', 'model', 'system', 'prompt', 'maxTokens', 'temperature'],
  lambda: ['functionArn', 'payload'],
  transform: ['expression', 'data'],
} as const satisfies Record<string, readonly string[]>;
