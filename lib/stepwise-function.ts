// The house Lambda construct: every stepwise function is a NodejsFunction with the same runtime,
// architecture, tracing, logging and bundling, built from its shape in functions/shared/resources.ts.
// Least-privilege helpers grant table access on the table and its named indexes only (no `index/*`).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { APP_NAME, type FunctionShape } from '../functions/shared/resources';

/** The repository root: entries, the lock file and esbuild's working directory are resolved from it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lets bundled CommonJS dependencies call `require` inside the ESM bundle. */
const ESM_REQUIRE_SHIM =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * How every function is bundled; bench/bundles.ts builds the same bundles to measure them. Without
 * tracing, POWERTOOLS_TRACE_ENABLED is defined as "false" in the code too, so esbuild leaves the Tracer
 * and the X-Ray SDK out of the bundle (functions/shared/tracing.ts).
 */
export function functionBundling(tracing: boolean) {
  return {
    ...FUNCTION_BUNDLING,
    ...(!tracing && { define: { 'process.env.POWERTOOLS_TRACE_ENABLED': JSON.stringify('false') } }),
  } satisfies BundlingOptions;
}

const FUNCTION_BUNDLING = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_SHIM,
  // nodejs24.x ships AWS SDK v3; bundling it would only grow the package and cold start.
  externalModules: ['@aws-sdk/*'],
  forceDockerBundling: false,
} satisfies BundlingOptions;

/** Each function's minified bundle stays under this (test/infra/bundling.test.ts, bench/bundles.ts). */
export const BUNDLE_BUDGET_BYTES = 250 * 1024;

/** Lambda's limit on a function's environment variables, measured as their JSON. */
const ENVIRONMENT_LIMIT_BYTES = 4096;
/** What a reference resolved only at deploy time is counted as: enough for an ARN or queue URL. */
const DEPLOY_TIME_VALUE_CHARS = 128;
/** The setting that makes each variable grow, for the error naming the largest. */
const SETTING_HINTS: Readonly<Record<string, string>> = {
  LAMBDA_FUNCTIONS: ' (the lambdaFunctions setting: allowlist fewer functions)',
  WORKER_TYPES: ' (the workerTypes setting: declare fewer worker types)',
  DLQ_URLS: ' (a dead-letter queue per worker type: declare fewer worker types)',
};
/** Pseudo parameters, counted as their longest value (`ap-southeast-3`, `amazonaws.com.cn`, `aws-us-gov`). */
const PSEUDO_PARAMETER_CHARS: Readonly<Record<string, number>> = {
  'AWS::Region': 16,
  'AWS::URLSuffix': 16,
  'AWS::Partition': 10,
  'AWS::AccountId': 12,
};

/**
 * The length an environment value will have once deployed: a string's own; a value joined at deploy time
 * (`Fn::Join`: WORKER_TYPES, DLQ_URLS, LIVE_ENDPOINT) its literal parts plus each reference in it; any
 * other reference DEPLOY_TIME_VALUE_CHARS.
 */
function deployedLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (join) {
    const [separator, parts] = join;
    return parts.reduce<number>(
      (sum, part) => sum + deployedLength(part),
      separator.length * (parts.length - 1),
    );
  }
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  return (typeof ref === 'string' && PSEUDO_PARAMETER_CHARS[ref]) || DEPLOY_TIME_VALUE_CHARS;
}

const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

export interface StepwiseFunctionProps {
  /** The function's shape: folder under functions/, memory, timeout and description. */
  readonly shape: FunctionShape;
  /**
   * Environment variables on top of the Powertools and Node defaults.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * How long the function's log group keeps events.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * X-Ray active tracing and the Powertools Tracer. Off, the Tracer is not even bundled: it costs module
   * init time and slows every `await` (see bench/bundles.ts).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * The repository root holding `functions/` and `package-lock.json`.
   * @default the parent of lib/
   */
  readonly projectRoot?: string;
}

/** A table and the GSI names that `grantTable*` scope index permissions to. */
export interface TableBinding {
  readonly table: dynamodb.ITable;
  readonly indexNames: readonly string[];
}

/**
 * A NodejsFunction on nodejs24.x/arm64, with X-Ray active tracing when asked, an explicit log group with retention,
 * and an ESM, minified, source-mapped bundle built by the local esbuild (never Docker).
 */
export class StepwiseFunction extends NodejsFunction {
  /** The log group the function writes to (created here, so its retention is ours to set). */
  readonly functionLogGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: StepwiseFunctionProps) {
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const tracing = props.tracing ?? false;
    // Created beside the function (a construct cannot create children before super()); the explicit
    // log group replaces the LogRetention custom resource and is removed with the stack.
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of the default one, which would carry AWSLambdaBasicExecutionRole
    // (log writes to every log group in the account): this one may write to its own log group only.
    const role = new iam.Role(scope, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.shape.folder} function`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: resolve(projectRoot, 'functions', props.shape.folder, 'handler.ts'),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: resolve(projectRoot, 'package-lock.json'),
      description: props.shape.description,
      memorySize: props.shape.memoryMb,
      timeout: Duration.seconds(props.shape.timeoutSeconds),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      logGroup,
      role,
      // Only the SDK v2 runtimes need the keep-alive variable; SDK v3 reuses connections by default.
      awsSdkConnectionReuse: false,
      environment: {
        POWERTOOLS_SERVICE_NAME: APP_NAME,
        POWERTOOLS_METRICS_NAMESPACE: APP_NAME,
        NODE_OPTIONS: '--enable-source-maps',
        ...(!tracing && { POWERTOOLS_TRACE_ENABLED: 'false' }),
        ...props.environment,
      },
      bundling: functionBundling(tracing),
    });
    this.functionLogGroup = logGroup;
    this.node.addValidation({ validate: () => this.checkEnvironmentSize() });
  }

  /**
   * Lambda refuses a function whose environment variables, measured as their JSON, exceed 4 KB; checked
   * at synth so a long LAMBDA_FUNCTIONS fails with a clear error, not a failed deployment. A value known
   * only at deploy time counts as deployedLength says: a joined one (WORKER_TYPES, DLQ_URLS, growing with
   * every worker type) by its parts, where counting it as one ARN let synth pass environments that
   * CloudFormation then failed to deploy.
   */
  private checkEnvironmentSize(): string[] {
    const cfn = this.node.defaultChild as lambda.CfnFunction;
    const resolved = Stack.of(this).resolve(cfn.environment) as
      | { variables?: Record<string, unknown> }
      | undefined;
    const variables = Object.fromEntries(
      Object.entries(resolved?.variables ?? {}).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : 'x'.repeat(deployedLength(value)),
      ]),
    );
    const size = Buffer.byteLength(JSON.stringify(variables));
    if (size <= ENVIRONMENT_LIMIT_BYTES) return [];
    const largest = Object.entries(variables).sort(([, a], [, b]) => b.length - a.length)[0]?.[0];
    return [
      `The environment variables of ${this.node.path} take about ${size} bytes, over Lambda's limit of ${ENVIRONMENT_LIMIT_BYTES} (4 KB); the largest is ${largest}${SETTING_HINTS[largest ?? ''] ?? ''}`,
    ];
  }

  /** GetItem/BatchGetItem/Query/ConditionCheckItem on the table and its named indexes. */
  grantTableRead(binding: TableBinding): iam.Grant {
    return this.grantTable(binding, TABLE_READ_ACTIONS);
  }

  /** Read plus PutItem/UpdateItem/DeleteItem/BatchWriteItem; no Scan, which no request path uses. */
  grantTableReadWrite(binding: TableBinding): iam.Grant {
    return this.grantTable(binding, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);
  }

  private grantTable(binding: TableBinding, actions: string[]): iam.Grant {
    const { table, indexNames } = binding;
    return iam.Grant.addToPrincipal({
      grantee: this,
      actions,
      resourceArns: [table.tableArn, ...indexNames.map((name) => `${table.tableArn}/index/${name}`)],
    });
  }
}
