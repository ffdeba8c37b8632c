// An example `research` worker for the company_research workflow (examples/workflows/company_research.json):
// it "researches" one company in a few phases, heartbeating its progress after each, and stops as soon as
// its signal aborts (the task was cancelled or timed out, or the worker is stopping). It calls nothing
// external: the findings are made up from the input, so it runs anywhere.
//
//   npm run stepwise -- worker examples/workers/research.ts --type research --concurrency 4
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentStepContext } from '../../sdk/index';

interface ResearchInput {
  readonly company?: { readonly name?: string; readonly domain?: string };
  readonly question?: string;
  /** How long each phase takes, in ms. @default 300 */
  readonly phaseMs?: number;
}

/** A company the worker cannot research; the workflow lists it in nonRetryableErrors. */
export class CompanyNotFound extends Error {
  override name = 'Research.NotFound';
}

const PHASES = ['finding the company', 'reading its site', 'looking for people', 'writing the summary'];

export async function handler({ input, heartbeat, signal, attempt }: AgentStepContext<ResearchInput>) {
  const name = input.company?.name?.trim();
  if (!name) throw new CompanyNotFound('The step input has no company name');
  const domain = input.company?.domain ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
  if (domain.endsWith('.invalid')) throw new CompanyNotFound(`No company answers at ${domain}`);
  for (const [index, phase] of PHASES.entries()) {
    // Rejects with the signal's reason once it aborts: the worker then answers nothing (the task is gone)
    // or fails the step as Worker.Shutdown so another worker takes it over.
    await sleep(input.phaseMs ?? 300, undefined, { signal });
    await heartbeat({ phase, done: index + 1, of: PHASES.length });
  }
  return {
    company: name,
    domain,
    question: input.question ?? '',
    answer: `${name}: procurement is led by the operations team; ${domain} lists 3 open roles.`,
    attempt,
  };
}
