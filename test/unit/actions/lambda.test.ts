import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { LambdaFunctionError, LambdaNotAllowed } from '../../../functions/shared/actions/errors';
import { type InvokeClient, runLambdaAction } from '../../../functions/shared/actions/lambda';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:enrich-order';
/** The task's org and the deployment's allowlist, which allows ARN for org-a only. */
const ORG_A = { orgId: 'org-a', allowlist: { 'org-a': [ARN] } };

function fakeLambda(response: Partial<InvokeCommandOutput>) {
  const sent: { readonly input: InvokeCommandInput }[] = [];
  const send = async (command: { readonly input: InvokeCommandInput }) => {
    sent.push(command);
    return { $metadata: {}, StatusCode: 200, ...response } as InvokeCommandOutput;
  };
  return { sent, lambda: { send } as InvokeClient };
}

// The SDK types Payload as its blob adapter; a plain Uint8Array is what the action actually reads.
const encode = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value)) as unknown as InvokeCommandOutput['Payload'];

describe('runLambdaAction', () => {
  it('invokes the function synchronously with the payload and returns its JSON result', async () => {
    const { lambda, sent } = fakeLambda({ Payload: encode({ enriched: true }) });
    expect(
      await runLambdaAction({ functionArn: ARN, payload: { orderId: 'o-1' } }, { lambda, ...ORG_A }),
    ).toEqual({
      enriched: true,
    });
    const input = sent[0]?.input;
    expect(input).toMatchObject({ FunctionName: ARN, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ orderId: 'o-1' });
  });

  it('returns null when the function returns nothing', async () => {
    const { lambda } = fakeLambda({});
    expect(await runLambdaAction({ functionArn: `${ARN}:live` }, { lambda, ...ORG_A })).toBeNull();
  });

  it("throws an error named after the function's errorType", async () => {
    const { lambda } = fakeLambda({
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'OrderNotFound', errorMessage: 'no order o-1', trace: ['at handler'] }),
    });
    const error = await runLambdaAction({ functionArn: ARN }, { lambda, ...ORG_A }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaFunctionError);
    expect(error).toMatchObject({
      name: 'OrderNotFound',
      message: 'no order o-1',
      errorType: 'OrderNotFound',
      trace: ['at handler'],
    });
  });

  it('names an error without errorType (e.g. a timeout) Lambda.Unknown', async () => {
    const { lambda } = fakeLambda({
      FunctionError: 'Unhandled',
      Payload: encode({ errorMessage: 'Task timed out after 3.00 seconds' }),
    });
    await expect(runLambdaAction({ functionArn: ARN }, { lambda, ...ORG_A })).rejects.toMatchObject({
      name: 'Lambda.Unknown',
      message: 'Task timed out after 3.00 seconds',
    });
  });

  it('rejects an invalid function name naming the field', async () => {
    const { lambda, sent } = fakeLambda({});
    await expect(
      runLambdaAction({ functionArn: 'not a function!' }, { lambda, ...ORG_A }),
    ).rejects.toMatchObject({
      name: 'InvalidStepParams',
      field: 'functionArn',
    });
    expect(sent).toHaveLength(0);
  });

  it('refuses, before invoking, a function the deployment does not allow for the task org', async () => {
    const other = 'arn:aws:lambda:eu-west-1:123456789012:function:payroll';
    for (const [functionArn, orgId] of [
      [other, 'org-a'],
      [ARN, 'org-b'],
      ['enrich-order', 'org-a'],
      [`${ARN}-copy`, 'org-a'],
    ] as const) {
      const { lambda, sent } = fakeLambda({ Payload: encode({}) });
      const error = await runLambdaAction({ functionArn }, { ...ORG_A, orgId, lambda }).catch(
        (e: unknown) => e,
      );
      expect(error, functionArn).toBeInstanceOf(LambdaNotAllowed);
      expect(error).toMatchObject({ name: 'LambdaNotAllowed', functionArn, orgId });
      expect(sent).toHaveLength(0);
    }
  });
});
