// An `llm` step that names no model runs on the deployment's default model: the local stack's is the fake
// LLM's (LLM_DEFAULT_MODEL, as `-c llmDefaultModel` sets it on AWS), so such a step works on `npm start`.
import { describe, expect, inject, it } from 'vitest';
import { FAKE_LLM_MODEL } from '../../local/fake-llm';
import { apiClient } from '../support/api-request';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const call = apiClient(endpoints.api, credentials.apiKey);

interface TaskDetail {
  status: string;
  output?: Record<string, { status: string; output?: { model?: string; text?: string } }>;
  metrics?: { llm?: { byModel?: Record<string, unknown> } };
}

describe('an llm step without a model on the local stack', () => {
  it("runs on the fake LLM's model and is priced under it", async () => {
    const workflowId = `llm_default_model_${Date.now().toString(36)}`;
    const registered = await call('POST', '/workflows', {
      id: workflowId,
      version: 1,
      name: 'No model named',
      steps: [{ id: 'notify', type: 'llm', params: { prompt: 'Say the order shipped' } }],
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const started = await call<{ taskId: string }>('POST', '/tasks', { workflowId, input: {} });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const deadline = Date.now() + 30_000;
    let task: TaskDetail;
    for (;;) {
      task = (await call<TaskDetail>('GET', `/tasks/${started.body.taskId}`)).body;
      if (task.status !== 'RUNNING' && task.status !== 'PENDING') break;
      if (Date.now() > deadline) throw new Error(`task still ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(task.status, JSON.stringify(task.output)).toBe('SUCCEEDED');
    expect(task.output?.notify?.output).toMatchObject({
      model: FAKE_LLM_MODEL,
      text: 'Summary: Say the order shipped',
    });
    expect(task.metrics?.llm?.byModel).toHaveProperty([`openai:${FAKE_LLM_MODEL}`]);
  });
});
