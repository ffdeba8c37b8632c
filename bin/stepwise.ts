// The stepwise CLI. Run it with `npm run stepwise -- <command>`; `--help` on any command says what it takes.
// Exit codes: 0 done, 1 the API refused or failed (or a watched task did not succeed), 2 a usage mistake.
import { CommanderError } from 'commander';
import { ApiError } from './cli/api-client';
import { UsageError } from './cli/format';
import { buildProgram } from './cli/program';

try {
  await buildProgram().parseAsync(process.argv);
  process.exit(process.exitCode ?? 0);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed the help, or the mistake with a pointer to --help.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof ApiError) {
    console.error(`error ${error.status} ${error.body.error ?? ''}: ${error.message}`);
    for (const detail of error.body.details ?? []) console.error(`  ${JSON.stringify(detail)}`);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exit(1);
}
