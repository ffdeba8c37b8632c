// The environment variable names under which the stack hands resource identifiers to the Lambdas.
// Derived from the keys in functions/shared/resources.ts, so a new queue or topic gets a variable without
// editing lib/; the names match what functions/shared/config.ts and local/stack.ts read.

/** `agentSteps` -> `AGENT_STEPS`. */
export function constantCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** `agentSteps` -> `AGENT_STEPS_QUEUE_URL`; a key already naming a queue kind keeps it: `taskEventsDlq` -> `TASK_EVENTS_DLQ_URL`. */
export function queueUrlEnvName(key: string): string {
  const base = constantCase(key);
  return /_(DLQ|QUEUE)$/.test(base) ? `${base}_URL` : `${base}_QUEUE_URL`;
}

/** `critical` -> `CRITICAL_TOPIC_ARN`. */
export function topicArnEnvName(key: string): string {
  return `${constantCase(key)}_TOPIC_ARN`;
}
