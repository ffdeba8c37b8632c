// An intrinsic function that cannot work on its argument fails the execution with States.Runtime, as the
// interpreter fails every other intrinsic it cannot apply (States.ArrayRange over 1,000 items, an unknown
// States.Hash algorithm), never with the JavaScript error it met (SyntaxError, InvalidCharacterError),
// which would end a task under an error name no workflow can expect.
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';

const failureOf = async (intrinsic: string) => {
  const machine = new StateMachine({
    StartAt: 'Apply',
    States: { Apply: { Type: 'Pass', Parameters: { 'x.$': intrinsic }, End: true } },
  });
  try {
    await machine.run({}).result;
  } catch (error) {
    return (error as { cause?: Error }).cause;
  }
  throw new Error('the execution succeeded');
};

describe('intrinsic functions given arguments they cannot use', () => {
  it.each([["States.StringToJson('{')"], ["States.Base64Decode('!!!')"]])(
    '%s fails with States.Runtime',
    async (intrinsic) => {
      expect(await failureOf(intrinsic)).toMatchObject({ name: 'States.Runtime' });
    },
  );
});
