// DynamoTaskStore's step items against the local DynamoDB: the attempt history written in one item, the
// conditional numbering, the sparse open-step index keys, closing open steps and their open attempt, and
// the history cap. (The in-memory fake the unit tests use follows the same contract.)
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import {
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '../../functions/shared/clients/table-commands';
import { listShardOf } from '../../functions/shared/tasks/task-index-keys';
import { DynamoTaskStore, MAX_ATTEMPT_HISTORY, type StepRef } from '../../functions/shared/tasks/task-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const store = new DynamoTaskStore(documents, endpoints.tableName);

const at = (seconds: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, seconds)).toISOString();

function stepRef(extra: Partial<StepRef> = {}): StepRef {
  return {
    taskId: randomUUID(),
    orgId: 'org-steps',
    workflowId: 'wf',
    stepId: 'a',
    stepType: 'http',
    ...extra,
  };
}

async function rawStep(ref: StepRef) {
  const sk = `STEP#${ref.stepId}${ref.mapIndex === undefined ? '' : `#${String(ref.mapIndex).padStart(5, '0')}`}`;
  const { Item } = await documents.send(
    new GetCommand({
      TableName: endpoints.tableName,
      Key: { pk: `TASK#${ref.taskId}`, sk },
      ConsistentRead: true,
    }),
  );
  return Item;
}

describe('DynamoTaskStore step items', () => {
  it('keeps every attempt of a step in its one item, numbered on the count it read', async () => {
    const ref = stepRef();
    const first = { step: ref, attempt: 1, startedAt: at(1), inputSummary: '{"url":"x"}' };
    expect(
      await store.recordFinishedAttempt(
        first,
        { status: 'FAILED', endedAt: at(2), durationMs: 1000, error: 'E', cause: 'boom' },
        false,
      ),
    ).toMatchObject({ recorded: true });
    // The same attempt number again (a duplicate) is refused by the count it was numbered on.
    expect(
      await store.recordFinishedAttempt(first, { status: 'FAILED', endedAt: at(2), durationMs: 1000 }, false),
    ).toEqual({ recorded: false });
    const second = { step: ref, attempt: 2, startedAt: at(4) };
    expect(await store.recordRunningAttempt(second)).toMatchObject({ recorded: true });
    expect(
      await store.recordFinishedAttempt(
        second,
        { status: 'SUCCEEDED', endedAt: at(6), durationMs: 2000, outputSummary: 'ok' },
        true,
      ),
    ).toMatchObject({ recorded: true });
    expect(await store.getStep(ref.taskId, 'a')).toEqual({
      orgId: 'org-steps',
      workflowId: 'wf',
      stepId: 'a',
      stepType: 'http',
      status: 'SUCCEEDED',
      attempts: 2,
      startedAt: at(1),
      endedAt: at(6),
      updatedAt: at(6),
      history: [
        {
          attempt: 1,
          status: 'FAILED',
          startedAt: at(1),
          endedAt: at(2),
          durationMs: 1000,
          error: 'E',
          cause: 'boom',
          inputSummary: '{"url":"x"}',
        },
        {
          attempt: 2,
          status: 'SUCCEEDED',
          startedAt: at(4),
          endedAt: at(6),
          durationMs: 2000,
          outputSummary: 'ok',
        },
      ],
    });
  });

  it('carries the sparse RUNNING and RETRYING index keys only while the step is open', async () => {
    const ref = stepRef({ stepId: 'each', mapIndex: 3 });
    const stepKey = 'each#00003';
    await store.recordRunningAttempt({ step: ref, attempt: 1, startedAt: at(1) });
    expect(await rawStep(ref)).toMatchObject({
      gsi1pk: 'ORG#org-steps#STEPS#RUNNING',
      gsi1sk: `${at(1)}#${ref.taskId}#${stepKey}`,
      gsi2pk: `STEPS#RUNNING#${listShardOf(ref.taskId)}`,
      gsi2sk: `${at(1)}#org-steps#${ref.taskId}#${stepKey}`,
    });
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: endpoints.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :at)',
        ExpressionAttributeValues: { ':pk': 'ORG#org-steps#STEPS#RUNNING', ':at': at(1) },
      }),
    );
    expect(Items.map((item) => item.gsi1sk)).toContain(`${at(1)}#${ref.taskId}#${stepKey}`);

    await store.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: at(1) },
      { status: 'FAILED', endedAt: at(3), durationMs: 2000, error: 'E' },
      true,
    );
    expect(await rawStep(ref)).toMatchObject({
      status: 'RETRYING',
      mapIndex: 3,
      gsi1pk: 'ORG#org-steps#STEPS#RETRYING',
      gsi2sk: `${at(3)}#org-steps#${ref.taskId}#${stepKey}`,
    });
    await store.recordStepOutcome(ref, { status: 'FAILED', error: 'E', at: at(4) });
    const failed = await rawStep(ref);
    expect(failed).toMatchObject({ status: 'FAILED', endedAt: at(4) });
    for (const key of ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']) expect(failed).not.toHaveProperty(key);
  });

  it('keeps the task’s list row on a step while it is open, and drops it with the index keys', async () => {
    const taskRow = {
      taskId: randomUUID(),
      orgId: 'org-steps',
      workflowId: 'wf',
      workflowVersion: 2,
      status: 'RUNNING' as const,
      createdAt: at(0),
    };
    const ref = stepRef({ taskId: taskRow.taskId, taskRow });
    await store.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: at(1) },
      { status: 'FAILED', endedAt: at(2), durationMs: 1000, error: 'E' },
      false,
    );
    expect(await rawStep(ref)).toMatchObject({ status: 'RETRYING', taskRow });
    // The step record the routes read does not carry it.
    expect((await store.getStep(ref.taskId, ref.stepId))?.status).toBe('RETRYING');
    expect(await store.getStep(ref.taskId, ref.stepId)).not.toHaveProperty('taskRow');
    await store.recordFinishedAttempt(
      { step: ref, attempt: 2, startedAt: at(3) },
      { status: 'SUCCEEDED', endedAt: at(4), durationMs: 1000 },
      false,
    );
    const done = await rawStep(ref);
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    for (const key of ['gsi1pk', 'gsi2pk', 'taskRow']) expect(done).not.toHaveProperty(key);
  });

  it('closes an open step and its open attempt with the task, and an attempt ending later stays closed', async () => {
    const ref = stepRef();
    const start = { step: ref, attempt: 1, startedAt: at(1) };
    await store.recordRunningAttempt(start);
    expect(
      await store.closeOpenSteps(ref.taskId, { status: 'CANCELLED', at: at(5), cause: 'cancelled' }),
    ).toBe(1);
    expect(
      await store.recordFinishedAttempt(
        start,
        { status: 'SUCCEEDED', endedAt: at(6), durationMs: 5000 },
        true,
      ),
    ).toEqual({ recorded: false });
    // Nor does a new attempt reopen it.
    expect(await store.recordRunningAttempt({ step: ref, attempt: 2, startedAt: at(7) })).toEqual({
      recorded: false,
    });
    const closed = await rawStep(ref);
    expect(closed).toMatchObject({
      status: 'CANCELLED',
      cause: 'cancelled',
      history: [{ attempt: 1, status: 'CANCELLED', endedAt: at(5), durationMs: 4000, cause: 'cancelled' }],
    });
    expect(closed).not.toHaveProperty('gsi1pk');
  });

  it('closes the running attempt FAILED when the state machine records the step failed by a timeout', async () => {
    const ref = stepRef();
    await store.recordRunningAttempt({ step: ref, attempt: 1, startedAt: at(1) });
    await store.recordStepOutcome(ref, {
      status: 'FAILED',
      error: 'States.Timeout',
      cause: 'timed out',
      at: at(11),
    });
    expect((await store.getStep(ref.taskId, 'a'))?.history).toEqual([
      {
        attempt: 1,
        status: 'FAILED',
        startedAt: at(1),
        endedAt: at(11),
        durationMs: 10_000,
        error: 'States.Timeout',
        cause: 'timed out',
      },
    ]);
  });

  it('closes with a cancel a step whose attempt ended after the stop, and keeps one that ended before', async () => {
    const before = stepRef({ stepId: 'before' });
    const after = { ...before, stepId: 'after' };
    const succeeded = (seconds: number) => ({
      status: 'SUCCEEDED' as const,
      endedAt: at(seconds),
      durationMs: 1000,
    });
    await store.recordFinishedAttempt({ step: before, attempt: 1, startedAt: at(1) }, succeeded(2), false);
    await store.recordFinishedAttempt({ step: after, attempt: 1, startedAt: at(1) }, succeeded(4), false);
    // A failed task's end (ABORTED) is the moment its last step ended: no step is closed for ending after it.
    expect(await store.closeOpenSteps(before.taskId, { status: 'ABORTED', at: at(3), cause: 'failed' })).toBe(
      0,
    );
    expect(
      await store.closeOpenSteps(before.taskId, { status: 'CANCELLED', at: at(3), cause: 'stopped' }),
    ).toBe(1);
    expect(await store.getStep(before.taskId, 'before')).toMatchObject({ status: 'SUCCEEDED' });
    expect(await store.getStep(before.taskId, 'after')).toMatchObject({
      status: 'CANCELLED',
      endedAt: at(3),
      history: [{ attempt: 1, status: 'CANCELLED', endedAt: at(3), durationMs: 2000, cause: 'stopped' }],
    });
  });

  it("keeps an agent step whose end, by its worker's clock, is later than a cancel", async () => {
    const ref = stepRef({ stepType: 'agent' });
    await store.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: at(1) },
      { status: 'SUCCEEDED', endedAt: at(4), durationMs: 3000 },
      false,
    );
    expect(await store.closeOpenSteps(ref.taskId, { status: 'CANCELLED', at: at(3), cause: 'stopped' })).toBe(
      0,
    );
    expect(await store.getStep(ref.taskId, 'a')).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('closes a step written after its task ended whatever its status (closeStep)', async () => {
    const ref = stepRef();
    await store.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: at(5) },
      { status: 'SUCCEEDED', endedAt: at(6), durationMs: 1000 },
      false,
    );
    // The attempt started after the task's end by the runner's clock: it never ends before it started.
    expect(await store.closeStep(ref, { status: 'TIMED_OUT', at: at(4), cause: 'timed out' })).toBe(true);
    expect(await store.getStep(ref.taskId, 'a')).toMatchObject({
      status: 'TIMED_OUT',
      endedAt: at(5),
      history: [{ attempt: 1, status: 'TIMED_OUT', startedAt: at(5), endedAt: at(5), durationMs: 0 }],
    });
    expect(await store.closeStep(ref, { status: 'TIMED_OUT', at: at(4), cause: 'again' })).toBe(false);
  });

  it('records a skipped step without attempts', async () => {
    const ref = stepRef({ stepId: 'maybe' });
    await store.recordStepOutcome(ref, { status: 'SKIPPED', at: at(2) });
    expect(await store.getStep(ref.taskId, 'maybe')).toMatchObject({
      status: 'SKIPPED',
      attempts: 0,
      history: [],
    });
  });

  it(`keeps at most ${MAX_ATTEMPT_HISTORY} attempts in the history and counts the ones it dropped`, async () => {
    const ref = stepRef();
    for (let attempt = 1; attempt <= MAX_ATTEMPT_HISTORY + 2; attempt++) {
      const written = await store.recordFinishedAttempt(
        { step: ref, attempt, startedAt: at(attempt) },
        { status: 'FAILED', endedAt: at(attempt), durationMs: 0, error: 'E' },
        false,
      );
      expect(written).toMatchObject({ recorded: true });
    }
    const step = await store.getStep(ref.taskId, 'a');
    expect(step?.attempts).toBe(MAX_ATTEMPT_HISTORY + 2);
    expect(step?.history).toHaveLength(MAX_ATTEMPT_HISTORY);
    expect(step?.historyDropped).toBe(2);
  });

  it('closes ABORTED an attempt left RUNNING by a lost invocation when the next attempt records its start', async () => {
    const ref = stepRef();
    await store.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: at(1) },
      { status: 'FAILED', endedAt: at(2), durationMs: 1000, error: 'E' },
      false,
    );
    // Attempt 2 writes its RUNNING record, then its Lambda dies; Step Functions retries the step.
    expect(await store.recordRunningAttempt({ step: ref, attempt: 2, startedAt: at(3) })).toMatchObject({
      recorded: true,
    });
    const third = { step: ref, attempt: 3, startedAt: at(10) };
    expect(await store.recordRunningAttempt(third)).toMatchObject({ recorded: true });
    expect(
      await store.recordFinishedAttempt(
        third,
        { status: 'SUCCEEDED', endedAt: at(12), durationMs: 2000 },
        true,
      ),
    ).toMatchObject({ recorded: true });
    const step = await store.getStep(ref.taskId, 'a');
    expect(step).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    expect(step?.history.map((attempt) => attempt.status)).toEqual(['FAILED', 'ABORTED', 'SUCCEEDED']);
    expect(step?.history[1]).toEqual({
      attempt: 2,
      status: 'ABORTED',
      startedAt: at(3),
      endedAt: at(10),
      durationMs: 7000,
      cause: expect.stringContaining('Superseded by attempt 3'),
    });
    // A duplicate of attempt 3 is still refused by the count it was numbered on.
    expect(await store.recordRunningAttempt(third)).toEqual({ recorded: false });
  });

  it('closes ABORTED a lost RUNNING attempt when the next one is written start and end together', async () => {
    const ref = stepRef();
    expect(await store.recordRunningAttempt({ step: ref, attempt: 1, startedAt: at(1) })).toMatchObject({
      recorded: true,
    });
    expect(
      await store.recordFinishedAttempt(
        { step: ref, attempt: 2, startedAt: at(5) },
        { status: 'SUCCEEDED', endedAt: at(6), durationMs: 1000 },
        false,
      ),
    ).toMatchObject({ recorded: true });
    const step = await rawStep(ref);
    expect(step).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 2,
      history: [
        { attempt: 1, status: 'ABORTED', endedAt: at(5), durationMs: 4000 },
        { attempt: 2, status: 'SUCCEEDED' },
      ],
    });
    expect(step).not.toHaveProperty('gsi1pk');
  });

  it('closes every attempt still RUNNING in the history with the task, not only the latest', async () => {
    const ref = stepRef();
    const running = (attempt: number, seconds: number) => ({
      attempt,
      status: 'RUNNING',
      startedAt: at(seconds),
    });
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: {
          pk: `TASK#${ref.taskId}`,
          sk: 'STEP#a',
          orgId: ref.orgId,
          workflowId: ref.workflowId,
          stepId: 'a',
          stepType: 'http',
          status: 'RUNNING',
          attempts: 2,
          startedAt: at(1),
          updatedAt: at(3),
          history: [running(1, 1), running(2, 3)],
        },
      }),
    );
    expect(await store.closeOpenSteps(ref.taskId, { status: 'CANCELLED', at: at(9), cause: 'c' })).toBe(1);
    expect((await store.getStep(ref.taskId, 'a'))?.history).toMatchObject([
      { attempt: 1, status: 'CANCELLED', endedAt: at(9), durationMs: 8000 },
      { attempt: 2, status: 'CANCELLED', endedAt: at(9), durationMs: 6000 },
    ]);
  });

  it('keeps an attempt that ends between the close read and its write, and closes the step as it now is', async () => {
    const ref = stepRef();
    await store.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: at(1) },
      { status: 'FAILED', endedAt: at(2), durationMs: 1000, error: 'E' },
      false,
    );
    const second = { step: ref, attempt: 2, startedAt: at(3) };
    await store.recordRunningAttempt(second);
    const llm = {
      provider: 'openai',
      model: 'gpt',
      tokensIn: 10,
      tokensOut: 5,
      cachedTokens: 0,
      calls: 1,
      toolCalls: 0,
      latencyMs: 900,
      costUsd: 0.01,
    };
    // Attempt 2 (an LLM call) fails just after closeOpenSteps has read the step, before it writes.
    let raced = false;
    const racing = {
      send: async (command: unknown) => {
        const result = await documents.send(command as Parameters<typeof documents.send>[0]);
        if (command instanceof QueryCommand && !raced) {
          raced = true;
          expect(
            await store.recordFinishedAttempt(
              second,
              {
                status: 'FAILED',
                endedAt: at(8),
                durationMs: 5000,
                error: 'LlmError',
                cause: 'rate limited',
                llm,
              },
              true,
            ),
          ).toMatchObject({ recorded: true });
        }
        return result;
      },
    } as unknown as DocumentClient;
    const closing = new DynamoTaskStore(racing, endpoints.tableName);
    expect(await closing.closeOpenSteps(ref.taskId, { status: 'CANCELLED', at: at(9), cause: 'c' })).toBe(1);
    const step = await store.getStep(ref.taskId, 'a');
    expect(step).toMatchObject({ status: 'CANCELLED', attempts: 2 });
    expect(step?.history[1]).toEqual({
      attempt: 2,
      status: 'FAILED',
      startedAt: at(3),
      endedAt: at(8),
      durationMs: 5000,
      error: 'LlmError',
      cause: 'rate limited',
      llm,
    });
  });

  it('reads a task with its steps without the approval items of its partition (they hold task tokens)', async () => {
    const ref = stepRef({ stepType: 'approval' });
    const key = { pk: `TASK#${ref.taskId}` };
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: { ...key, sk: 'TASK', taskId: ref.taskId, orgId: ref.orgId, status: 'RUNNING' },
      }),
    );
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: { ...key, sk: 'APPROVAL#a', taskId: ref.taskId, orgId: ref.orgId, taskToken: 'secret-token' },
      }),
    );
    await store.recordRunningAttempt({ step: ref, attempt: 1, startedAt: at(1) });
    const read: Record<string, unknown>[] = [];
    const recording = {
      send: async (command: unknown) => {
        const result = await documents.send(command as Parameters<typeof documents.send>[0]);
        read.push(...((result as { Items?: Record<string, unknown>[] }).Items ?? []));
        return result;
      },
    } as unknown as DocumentClient;
    const { task, steps } = await new DynamoTaskStore(recording, endpoints.tableName).getWithSteps(
      ref.orgId,
      ref.taskId,
    );
    expect(task?.taskId).toBe(ref.taskId);
    expect(steps.map((step) => step.stepId)).toEqual(['a']);
    expect(read.map((item) => item.sk)).toEqual(['STEP#a', 'TASK']);
    expect(JSON.stringify({ task, steps })).not.toContain('secret-token');
  });

  it('keeps an approval step out of the open-step index while it waits and once it is rejected', async () => {
    const ref = stepRef({ stepType: 'approval' });
    const wait = { step: ref, attempt: 1, startedAt: at(1) };
    expect(await store.recordRunningAttempt(wait)).toMatchObject({ recorded: true });
    expect(await rawStep(ref)).toMatchObject({ status: 'RUNNING' });
    expect((await rawStep(ref))?.gsi1pk).toBeUndefined();
    const rejected = {
      status: 'FAILED',
      endedAt: at(5),
      durationMs: 4000,
      error: 'Approval.Rejected',
    } as const;
    expect(await store.recordFinishedAttempt(wait, rejected, true)).toMatchObject({ recorded: true });
    const item = await rawStep(ref);
    expect(item).toMatchObject({ error: 'Approval.Rejected' });
    expect([item?.gsi1pk, item?.gsi2pk]).toEqual([undefined, undefined]);
    // Any other step that fails an attempt waits for its retry in the RETRYING index.
    const other = stepRef();
    await store.recordFinishedAttempt({ step: other, attempt: 1, startedAt: at(1) }, rejected, false);
    expect((await rawStep(other))?.gsi1pk).toBe(`ORG#${other.orgId}#STEPS#RETRYING`);
  });
});
