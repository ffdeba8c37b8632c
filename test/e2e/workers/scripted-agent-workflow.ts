// A one-step workflow whose agent step hands the task's input to a scripted worker as its script
// (scripted-worker.ts); by default with room for a worker that is slow to answer: 60 s heartbeats, 120 s per
// attempt.
export const scriptedAgentWorkflow = (
  id: string,
  workerType: string,
  { heartbeatSeconds = 60, timeoutSeconds = 120 } = {},
) => ({
  id,
  version: 1,
  name: id,
  steps: [
    {
      id: 'work',
      type: 'agent',
      workerType,
      heartbeatSeconds,
      timeoutSeconds,
      params: { 'script.$': '$.input' },
    },
  ],
});
