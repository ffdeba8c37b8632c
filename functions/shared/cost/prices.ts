// The one price table the cost model uses: AWS list prices in us-east-1 (N. Virginia), on-demand, without
// free tiers, savings plans or volume tiers beyond the first, and Temporal Cloud's list price per Action.
// Figures as the providers' pricing pages state them (read 2026-11); change them here and both the bench's
// cost table (bench/cost-model.ts) and GET /tasks/{id}'s estimate follow.

/** USD per unit. */
export const AWS_PRICES = {
  /**
   * Step Functions Standard workflows: $0.025 per 1,000 state transitions, retries included ("each retry
   * will be charged as an additional state transition"). https://aws.amazon.com/step-functions/pricing/
   */
  stateTransition: 0.025 / 1_000,
  /**
   * Lambda requests: $0.20 per 1M. https://aws.amazon.com/lambda/pricing/
   */
  lambdaRequest: 0.2 / 1_000_000,
  /**
   * Lambda duration on Arm (arm64, every stepwise function: lib/stepwise-function.ts), first 7.5 billion
   * GB-seconds a month: $0.0000133334 per GB-second, billed per 1 ms rounded up.
   * https://aws.amazon.com/lambda/pricing/
   */
  lambdaGbSecond: 0.0000133334,
  /**
   * DynamoDB on-demand, Standard table class: $0.625 per million write request units (1 KB each) and
   * $0.125 per million read request units (4 KB strongly consistent, or 2 eventually consistent reads), since
   * the November 2024 price cut. A GSI write costs its own write units. https://aws.amazon.com/dynamodb/pricing/on-demand/
   */
  dynamodbWriteUnit: 0.625 / 1_000_000,
  dynamodbReadUnit: 0.125 / 1_000_000,
  /**
   * API Gateway HTTP API: $1.00 per million requests (first 300 million a month, per 512 KB).
   * https://aws.amazon.com/api-gateway/pricing/
   */
  httpApiRequest: 1 / 1_000_000,
  /**
   * EventBridge: state change events AWS services publish to the default bus are free ("All state change
   * events published by AWS services by default are free"); the Step Functions status events are those.
   * https://aws.amazon.com/eventbridge/pricing/
   */
  eventBridgeServiceEvent: 0,
  /**
   * SQS standard queues: $0.40 per million requests (each 64 KB chunk of a payload is one request).
   * https://aws.amazon.com/sqs/pricing/
   */
  sqsRequest: 0.4 / 1_000_000,
  /** SNS standard topics: $0.50 per million publishes (deliveries to Lambda are free). https://aws.amazon.com/sns/pricing/ */
  snsPublish: 0.5 / 1_000_000,
} as const;

/**
 * Temporal Cloud Actions, pay-as-you-go: "Actions pricing starts at $50 per million Actions ($0.00005 per
 * Action)", the Developer plan's price at every volume and the first 5M of the Business plan's tiers
 * (volume tiers go down to $25 per million past 100M a month); plans add 10% of usage spend or a monthly
 * minimum, not counted here. https://docs.temporal.io/cloud/pricing
 */
export const TEMPORAL_PRICES = {
  action: 50 / 1_000_000,
} as const;

/** Billed Lambda GB-seconds of one invocation: the duration rounded up to 1 ms, times the memory in GB. */
export const lambdaGbSeconds = (memoryMb: number, durationMs: number) =>
  (memoryMb / 1024) * (Math.ceil(durationMs) / 1000);
