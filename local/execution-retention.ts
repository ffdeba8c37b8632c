// How many ended Step Functions executions the local stack keeps (the option, else
// STEPWISE_RETAINED_EXECUTIONS, else 10,000): the oldest-ended beyond it are dropped, so the execution
// log and the stack's memory stay bounded however long it runs.
import { ConfigurationError } from '../functions/shared/config';
import { DEFAULT_RETAINED_ENDED } from './stepfunctions/executions';

export const RETAINED_EXECUTIONS_VARIABLE = 'STEPWISE_RETAINED_EXECUTIONS';

export function retainedExecutions(
  option: number | string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const value = option ?? (env[RETAINED_EXECUTIONS_VARIABLE] || undefined);
  if (value === undefined) return DEFAULT_RETAINED_ENDED;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) {
    throw new ConfigurationError(
      `${option === undefined ? RETAINED_EXECUTIONS_VARIABLE : 'retainedExecutions'} must be a whole number of executions (0 or more), got ${JSON.stringify(value)}`,
    );
  }
  return count;
}
