// The stepwise CLI. Run it with `npm run stepwise -- <command>`.
import { parseArgs } from 'node:util';
import { ApiError, resolveConnection } from './cli/api-client';
import { createOperatorKeyCommand, revokeOperatorKeyCommand } from './cli/operator-keys';
import { getTaskCommand, startTaskCommand, watchTaskCommand } from './cli/tasks';
import { deployWorkflows } from './cli/workflows-deploy';

const USAGE = `usage: stepwise <command> [options]

  workflows deploy <files or folders> [--skip-existing]
  tasks start <workflowId> [--input <json|@file> | --example] [--version N] [--idempotency-key K] [--agent-id A]
                                          (--example sends examples/inputs/<workflowId>.json)
  tasks get <taskId>
  tasks watch <taskId>
  keys create-operator --table <name> [--name <label>]   an OPERATOR key, written with your AWS credentials
  keys revoke-operator <keyId> --table <name>             (the table: the stack's TableName output; locally
                                                          "stepwise" with the endpoints file's environment)

options: --url <api url>  --api-key <key>   (or STEPWISE_URL / STEPWISE_API_KEY; default: the local stack's
         dev-credentials.json written by npm start)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      'skip-existing': { type: 'boolean', default: false },
      input: { type: 'string' },
      example: { type: 'boolean', default: false },
      version: { type: 'string' },
      'idempotency-key': { type: 'string' },
      'agent-id': { type: 'string' },
      table: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, command, ...rest] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const connection = () => resolveConnection({ url: values.url, apiKey: values['api-key'] });
  const target = rest[0];
  switch (`${group} ${command}`) {
    case 'workflows deploy':
      if (rest.length === 0) break;
      return deployWorkflows(await connection(), rest, { skipExisting: values['skip-existing'] ?? false });
    case 'tasks start':
      if (!target) break;
      await startTaskCommand(await connection(), target, {
        input: values.input,
        example: values.example,
        version: values.version,
        idempotencyKey: values['idempotency-key'],
        agentId: values['agent-id'],
      });
      return 0;
    case 'tasks get':
      if (!target) break;
      await getTaskCommand(await connection(), target);
      return 0;
    case 'tasks watch':
      if (!target) break;
      return watchTaskCommand(await connection(), target);
    case 'keys create-operator':
      if (!values.table) break;
      await createOperatorKeyCommand(values.table, values.name ?? 'operator key');
      return 0;
    case 'keys revoke-operator':
      if (!values.table || !target) break;
      return (await revokeOperatorKeyCommand(values.table, target)) ? 0 : 1;
  }
  console.error(USAGE);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ApiError) {
      console.error(`error ${error.status} ${error.body.error ?? ''}: ${error.message}`);
      for (const detail of error.body.details ?? []) console.error(`  ${JSON.stringify(detail)}`);
    } else {
      console.error(`error: ${(error as Error).message}`);
    }
    process.exit(1);
  },
);
