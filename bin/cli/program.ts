// The `stepwise` command tree on commander: each command declares its arguments and options (so it has its
// own --help and argument checks), fetches from the public HTTP API and prints a view (bin/cli/views.ts,
// timeline-chart.ts) or, with --json, the API's answer itself.
import { Command, InvalidArgumentError, Option } from 'commander';
import { isOrgId, ORG_ID_RULE } from '../../functions/shared/auth/identity';
import { type Connection, call, resolveConnection, withQuery } from './api-client';
import type {
  ApiKeyView,
  HealthView,
  Page,
  TaskEvents,
  TaskSummary,
  Timeline,
  WorkflowMetrics,
  WorkflowSummary,
} from './contracts';
import { createOperatorKeyCommand, createOwnerKeyCommand, revokeOperatorKeyCommand } from './deployment-keys';
import { parsePositiveInteger, parseSeconds, parseTag, parseTimeArgument, UsageError } from './format';
import { getTaskCommand, startTaskCommand, watchTaskCommand } from './tasks';
import { renderTimeline } from './timeline-chart';
import {
  renderCreatedKey,
  renderEvents,
  renderHealth,
  renderKeyList,
  renderTaskList,
  renderWorkflowList,
  renderWorkflowMetrics,
} from './views';
import { runWorkerCommand } from './worker';
import { deployWorkflows } from './workflows-deploy';

export const TASK_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const;
/** Views of running tasks: a step retrying, or running longer than --stuck-after. */
export const RUNNING_TASK_VIEWS = ['RETRYING', 'STUCK'] as const;
export const KEY_ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly now: () => Date;
  /** The terminal's width, for the timeline. */
  readonly columns: () => number;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  now: () => new Date(),
  columns: () => process.stdout.columns || 100,
};

/** A commander option parser from one of ours: a UsageError becomes commander's own argument error. */
function checked<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      // commander names the option itself.
      if (error instanceof UsageError)
        throw new InvalidArgumentError(error.message.replace(/^--[\w-]+ /, ''));
      throw error;
    }
  };
}

const encode = encodeURIComponent;
const ADMIN_READ =
  "read through the /admin routes: an operator (any organization's task), or an organization's OWNER or ADMIN";

const collectTag = (value: string, previous: string[] = []) => [...previous, checked(parseTag)(value)];

/** `key:value` options as the `tags` object of a start (the key ends at the first colon). */
export function tagsOf(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    const key = pair.slice(0, colon);
    if (key in tags) throw new UsageError(`--tag ${key} is given twice`);
    tags[key] = pair.slice(colon + 1);
  }
  return tags;
}

export function buildProgram(io: CliIo = defaultIo): Command {
  const print = (lines: readonly string[]) => io.out(`${lines.join('\n')}\n`);
  const printJson = (value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);
  const time = (option: string) => checked((value: string) => parseTimeArgument(value, option, io.now()));
  const positive = (option: string) => checked((value: string) => parsePositiveInteger(value, option));
  const seconds = (option: string) => checked((value: string) => parseSeconds(value, option, 0));
  const positiveSeconds = (option: string) => checked((value: string) => parseSeconds(value, option, 1));

  const program = new Command('stepwise')
    .description('Run and inspect stepwise workflows and tasks through the HTTP API.')
    .option('--url <url>', 'API base URL (or STEPWISE_URL; default: the local stack of `npm start`)')
    .option('--api-key <key>', 'API key (or STEPWISE_API_KEY; default: the local stack dev key)')
    .showHelpAfterError('(add --help for usage)')
    // Usage mistakes exit 2, as before; errors from the API exit 1 (bin/stepwise.ts).
    .exitOverride((error) => {
      throw error;
    });

  const connect = (command: Command): Promise<Connection> => {
    const { url, apiKey } = command.optsWithGlobals<{ url?: string; apiKey?: string }>();
    return resolveConnection({ url, apiKey });
  };

  // workflows
  const workflows = program.command('workflows').description('Register and list workflow definitions');
  workflows
    .command('deploy')
    .description('Register workflow definitions (JSON files, or folders of them)')
    .argument('<paths...>', 'definition files or folders')
    .option('--skip-existing', 'skip a version already registered with another definition', false)
    .action(async (paths: string[], options: { skipExisting: boolean }, command: Command) => {
      process.exitCode = await deployWorkflows(await connect(command), paths, options);
    });
  workflows
    .command('list')
    .description("List your organization's workflows")
    .option('--limit <n>', 'page size', positive('--limit'))
    .option('--cursor <cursor>', 'the page after a previous one')
    .option('--json', 'print the API answer')
    .action(async (options: { limit?: number; cursor?: string; json?: boolean }, command: Command) => {
      const path = withQuery('/workflows', { limit: options.limit, cursor: options.cursor });
      const { body } = await call<Page<WorkflowSummary>>(await connect(command), 'GET', path);
      options.json ? printJson(body) : print(renderWorkflowList(body));
    });

  // tasks
  const tasks = program.command('tasks').description('Start, follow, list and cancel tasks');
  /** How a task is followed (tasks watch, tasks start --watch). */
  const followOptions = (command: Command) =>
    command
      .option(
        '--live-url <url>',
        'WebSocket URL of live updates (or STEPWISE_LIVE_URL; the LiveUrl stack output; default: <url>/live)',
      )
      .option('--poll', 'poll GET /tasks/{id} instead of listening on the WebSocket');
  const followedBy = (options: { liveUrl?: string; poll?: boolean }) => {
    const liveUrl = options.liveUrl ?? process.env.STEPWISE_LIVE_URL;
    return { ...(liveUrl && { liveUrl }), ...(options.poll && { poll: true }) };
  };
  followOptions(tasks.command('start'))
    .description('Start a task of a workflow')
    .argument('<workflowId>')
    .option('--input <json|@file>', 'the task input (JSON, or @file)')
    .option('--example', 'send examples/inputs/<workflowId>.json')
    .option('--version <n>', 'the workflow version (default: the latest)', positive('--version'))
    .option('--idempotency-key <key>', 'start at most once per key')
    .option('--agent-id <id>', 'the agent the task runs for')
    .option('--tag <key:value>', 'a tag of the task (repeat for more)', collectTag, [])
    .option(
      '--watch',
      'follow the task until it ends, as tasks watch does (exit 0 only if it SUCCEEDED), instead of printing it as JSON',
    )
    .action(
      async (
        workflowId: string,
        options: {
          input?: string;
          example?: boolean;
          version?: number;
          idempotencyKey?: string;
          agentId?: string;
          tag: string[];
          watch?: boolean;
          liveUrl?: string;
          poll?: boolean;
        },
        command: Command,
      ) => {
        if (options.example && options.input !== undefined) {
          throw new UsageError('Pass either --input or --example, not both');
        }
        const { tag, liveUrl: _liveUrl, poll: _poll, ...rest } = options;
        process.exitCode = await startTaskCommand(await connect(command), workflowId, {
          ...rest,
          version: options.version === undefined ? undefined : String(options.version),
          ...(tag.length > 0 && { tags: tagsOf(tag) }),
          follow: followedBy(options),
        });
      },
    );
  tasks
    .command('get')
    .description('Print a task with its steps')
    .argument('<taskId>')
    .option('--admin', ADMIN_READ)
    .action(async (taskId: string, options: { admin?: boolean }, command: Command) => {
      await getTaskCommand(await connect(command), taskId, options);
    });
  followOptions(tasks.command('watch'))
    .description(
      'Follow a task until it ends, printing each task and step event as it happens (exit 0 only if it SUCCEEDED)',
    )
    .argument('<taskId>')
    .action(async (taskId: string, options: { liveUrl?: string; poll?: boolean }, command: Command) => {
      process.exitCode = await watchTaskCommand(await connect(command), taskId, followedBy(options));
    });
  tasks
    .command('list')
    .description('List tasks, newest first (operators: --org or --all-orgs for every organization)')
    .option('--workflow <workflowId>', 'only this workflow')
    .option('--agent <agentId>', 'only this agent')
    .addOption(
      new Option(
        '--status <status>',
        'only this status; RETRYING, STUCK: running tasks with a step retrying, or stuck',
      ).choices([...TASK_STATUSES, ...RUNNING_TASK_VIEWS]),
    )
    .option(
      '--stuck-after <minutes>',
      'with --status STUCK: running longer than this',
      positive('--stuck-after'),
    )
    .option('--from <time>', 'created at or after (ISO date-time, or 30m, 6h, 7d ago)', time('--from'))
    .option('--to <time>', 'created before (ISO date-time, or 30m, 6h, 7d ago)', time('--to'))
    .option('--tag <key:value>', 'only tasks with this tag', checked(parseTag))
    .option('--org <orgId>', 'operators: this organization (GET /admin/tasks)')
    .option('--all-orgs', 'operators: every organization (GET /admin/tasks)')
    .option('--limit <n>', 'page size', positive('--limit'))
    .option('--cursor <cursor>', 'the page after a previous one')
    .option('--json', 'print the API answer')
    .action(
      async (
        options: {
          workflow?: string;
          agent?: string;
          status?: string;
          stuckAfter?: number;
          from?: string;
          to?: string;
          tag?: string;
          org?: string;
          allOrgs?: boolean;
          limit?: number;
          cursor?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        if (options.org && options.allOrgs) throw new UsageError('Pass --org or --all-orgs, not both');
        // The API refuses it too (a 400), but it is a mistake in the command line, not in the request.
        if (options.stuckAfter !== undefined && options.status !== 'STUCK') {
          throw new UsageError('--stuck-after needs --status STUCK');
        }
        const admin = Boolean(options.org || options.allOrgs);
        const path = withQuery(admin ? '/admin/tasks' : '/tasks', {
          ...(admin && { org: options.org }),
          workflowId: options.workflow,
          agentId: options.agent,
          status: options.status,
          stuckAfterMinutes: options.stuckAfter,
          from: options.from,
          to: options.to,
          tag: options.tag,
          limit: options.limit,
          cursor: options.cursor,
        });
        const { body } = await call<Page<TaskSummary>>(await connect(command), 'GET', path);
        options.json ? printJson(body) : print(renderTaskList(body, io.now(), { showOrg: admin }));
      },
    );
  tasks
    .command('cancel')
    .description('Cancel a running task')
    .argument('<taskId>')
    .option('--json', 'print the API answer')
    .action(async (taskId: string, options: { json?: boolean }, command: Command) => {
      const path = `/tasks/${encode(taskId)}/cancel`;
      const { body } = await call<TaskSummary>(await connect(command), 'POST', path);
      options.json ? printJson(body) : print([`task ${body.taskId}: ${body.status}`]);
    });
  tasks
    .command('events')
    .description("A task's ordered event log")
    .argument('<taskId>')
    .option('--admin', ADMIN_READ)
    .option('--json', 'print the API answer')
    .action(async (taskId: string, options: { admin?: boolean; json?: boolean }, command: Command) => {
      const connection = await connect(command);
      // GET /admin/tasks/{id} carries the event log beside the task: printed as the tenant route's answer.
      const path = options.admin ? `/admin/tasks/${encode(taskId)}` : `/tasks/${encode(taskId)}/events`;
      const { taskId: id, events } = (await call<TaskEvents>(connection, 'GET', path)).body;
      const body: TaskEvents = { taskId: id, events };
      options.json ? printJson(body) : print(renderEvents(body));
    });
  tasks
    .command('timeline')
    .description("A Gantt chart of a task's steps and attempts")
    .argument('<taskId>')
    .option('--width <columns>', 'chart width (default: the terminal)', positive('--width'))
    .option('--admin', ADMIN_READ)
    .option('--json', 'print the API answer')
    .action(
      async (
        taskId: string,
        options: { width?: number; admin?: boolean; json?: boolean },
        command: Command,
      ) => {
        const path = `${options.admin ? '/admin' : ''}/tasks/${encode(taskId)}/timeline`;
        const { body } = await call<Timeline>(await connect(command), 'GET', path);
        options.json
          ? printJson(body)
          : print(renderTimeline(body, { width: options.width ?? io.columns(), now: io.now() }));
      },
    );

  program
    .command('metrics')
    .description("A workflow's task metrics: counts, success rate, percentiles, steps, LLM cost, series")
    .argument('<workflowId>')
    .option('--from <time>', 'start (ISO date-time, or 30m, 6h, 7d ago)', time('--from'))
    .option('--to <time>', 'end (ISO date-time, or 30m, 6h, 7d ago)', time('--to'))
    .addOption(new Option('--granularity <unit>', 'series bucket').choices(['hour', 'day']))
    .option('--json', 'print the API answer')
    .action(
      async (
        workflowId: string,
        options: { from?: string; to?: string; granularity?: string; json?: boolean },
        command: Command,
      ) => {
        const path = withQuery(`/workflows/${encode(workflowId)}/metrics`, {
          from: options.from,
          to: options.to,
          granularity: options.granularity,
        });
        const { body } = await call<WorkflowMetrics>(await connect(command), 'GET', path);
        options.json ? printJson(body) : print(renderWorkflowMetrics(body));
      },
    );

  program
    .command('health')
    .description(
      "System health: score and penalties, error rate, throughput, active and long-running tasks, workers (OWNER, ADMIN: the organization's; OPERATOR: every organization's)",
    )
    .option('--window <minutes>', 'the window the rates cover', positive('--window'))
    .option('--json', 'print the API answer')
    .action(async (options: { window?: number; json?: boolean }, command: Command) => {
      const path = withQuery('/admin/health', { windowMinutes: options.window });
      const { body } = await call<HealthView>(await connect(command), 'GET', path);
      options.json ? printJson(body) : print(renderHealth(body));
    });

  program
    .command('worker')
    .description(
      "Run a worker for `agent` steps: the module's `handler` (or default export) on the type's queue, until Ctrl-C",
    )
    .argument('<module>', 'a .ts or .js module exporting the handler')
    .requiredOption('--type <type>', 'the worker type (as declared in workerTypes)')
    .option('--concurrency <n>', 'steps run at once (default 1)', positive('--concurrency'))
    .option(
      '--heartbeat <seconds>',
      "heartbeat interval (default: the local stack's, workerHeartbeatSeconds in endpoints.json; with STEPWISE_WORKER_QUEUE_URL, STEPWISE_WORKER_HEARTBEAT_SECONDS, else 30)",
      positiveSeconds('--heartbeat'),
    )
    .option(
      '--grace <seconds>',
      'on SIGTERM/SIGINT, how long in-flight steps may finish (default 30)',
      seconds('--grace'),
    )
    .action(
      async (
        module: string,
        options: { type: string; concurrency?: number; heartbeat?: number; grace?: number },
      ) => {
        process.exitCode = await runWorkerCommand(module, options);
      },
    );

  const keys = program.command('keys').description("Manage your organization's API keys (OWNER)");
  keys
    .command('create')
    .description('Create an API key; its secret is shown once')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(new Option('--role <role>', 'what the key may do').choices(KEY_ROLES).default('MEMBER'))
    .option('--json', 'print the API answer')
    .action(async (options: { name: string; role: string; json?: boolean }, command: Command) => {
      const { body } = await call<ApiKeyView>(await connect(command), 'POST', '/api-keys', {
        name: options.name,
        role: options.role,
      });
      options.json ? printJson(body) : print(renderCreatedKey(body));
    });
  keys
    .command('list')
    .description('List the API keys (never their secrets)')
    .option('--json', 'print the API answer')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { body } = await call<Page<ApiKeyView>>(await connect(command), 'GET', '/api-keys');
      options.json ? printJson(body) : print(renderKeyList(body));
    });
  keys
    .command('revoke')
    .description('Revoke an API key')
    .argument('<keyId>')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      await call(await connect(command), 'DELETE', `/api-keys/${encode(keyId)}`);
      print([`revoked ${keyId}`]);
    });
  // OPERATOR keys and an organization's first OWNER key have no API to come from: they are written with
  // the caller's AWS credentials (or into the local stack).
  const tableOption = () =>
    new Option(
      '--table <name>',
      "the stack's TableName output, written with your AWS credentials (default: the local stack of `npm start`)",
    );
  keys
    .command('create-operator')
    .description("Create an OPERATOR key in the stack's table (no API key needed)")
    .addOption(tableOption())
    .option('--name <label>', 'a label for the key', 'operator key')
    .action(async (options: { table?: string; name: string }) => {
      await createOperatorKeyCommand(options.table, options.name);
    });
  keys
    .command('revoke-operator')
    .description("Revoke an OPERATOR key in the stack's table")
    .argument('<keyId>')
    .addOption(tableOption())
    .action(async (keyId: string, options: { table?: string }) => {
      if (!(await revokeOperatorKeyCommand(options.table, keyId))) process.exitCode = 1;
    });
  keys
    .command('create-owner')
    .description(
      "Create an OWNER key of an organization in the stack's table, creating the organization if it is new (no API key needed)",
    )
    .requiredOption('--org <id>', `the organization id (${ORG_ID_RULE})`, (value: string) => {
      if (!isOrgId(value)) throw new InvalidArgumentError(`must be an organization id: ${ORG_ID_RULE}`);
      return value;
    })
    .addOption(tableOption())
    .option('--name <label>', 'a label for the key', 'owner key')
    .action(async (options: { org: string; table?: string; name: string }) => {
      await createOwnerKeyCommand(options.table, options.org, options.name);
    });

  return program;
}
