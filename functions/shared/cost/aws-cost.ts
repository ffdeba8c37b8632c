// What a quantity of AWS usage costs at the list prices of prices.ts, by service. The bench prices what it
// metered with it, and GET /tasks/{id} what it estimated from a task's records.
import { AWS_PRICES } from './prices';

/** Billable AWS usage, in the units each service bills. */
export interface AwsUsage {
  /** Step Functions Standard state transitions, retries included. */
  readonly transitions: number;
  readonly lambdaRequests: number;
  /** Sum over invocations of memory (GB) x billed duration (s, rounded up to 1 ms). */
  readonly lambdaGbSeconds: number;
  /** DynamoDB write request units, the table's and its indexes'. */
  readonly writeUnits: number;
  /** DynamoDB read request units. */
  readonly readUnits: number;
  /** API Gateway HTTP API requests. */
  readonly apiRequests: number;
  /** EventBridge events (Step Functions status changes: AWS service events, free). */
  readonly eventBridgeEvents: number;
  readonly sqsRequests: number;
  readonly snsPublishes: number;
}

export interface AwsCostBreakdown {
  readonly stepFunctions: number;
  readonly lambda: number;
  readonly dynamodb: number;
  readonly apiGateway: number;
  readonly eventBridge: number;
  readonly sqs: number;
  readonly sns: number;
}

export interface AwsCost {
  readonly usd: number;
  readonly breakdown: AwsCostBreakdown;
}

export const NO_USAGE: AwsUsage = {
  transitions: 0,
  lambdaRequests: 0,
  lambdaGbSeconds: 0,
  writeUnits: 0,
  readUnits: 0,
  apiRequests: 0,
  eventBridgeEvents: 0,
  sqsRequests: 0,
  snsPublishes: 0,
};

export function addUsage(a: AwsUsage, b: Partial<AwsUsage>): AwsUsage {
  return Object.fromEntries(
    Object.entries(a).map(([key, value]) => [key, value + (b[key as keyof AwsUsage] ?? 0)]),
  ) as unknown as AwsUsage;
}

/** Dollars rounded to a billionth (a task's figures are millionths of a dollar: keep three digits of them). */
export const roundUsd = (usd: number) => Math.round(usd * 1e9) / 1e9;

export function awsCostOf(usage: AwsUsage): AwsCost {
  const breakdown: AwsCostBreakdown = {
    stepFunctions: usage.transitions * AWS_PRICES.stateTransition,
    lambda:
      usage.lambdaRequests * AWS_PRICES.lambdaRequest + usage.lambdaGbSeconds * AWS_PRICES.lambdaGbSecond,
    dynamodb: usage.writeUnits * AWS_PRICES.dynamodbWriteUnit + usage.readUnits * AWS_PRICES.dynamodbReadUnit,
    apiGateway: usage.apiRequests * AWS_PRICES.httpApiRequest,
    eventBridge: usage.eventBridgeEvents * AWS_PRICES.eventBridgeServiceEvent,
    sqs: usage.sqsRequests * AWS_PRICES.sqsRequest,
    sns: usage.snsPublishes * AWS_PRICES.snsPublish,
  };
  const rounded = Object.fromEntries(
    Object.entries(breakdown).map(([key, value]) => [key, roundUsd(value)]),
  ) as unknown as AwsCostBreakdown;
  // The total is the sum of the parts as shown, so they add up to it exactly.
  return { usd: roundUsd(Object.values(rounded).reduce((sum, value) => sum + value, 0)), breakdown: rounded };
}

/** A task's dollars, as dollars per million tasks. */
export const usdPerMillion = (usd: number) => usd * 1_000_000;
