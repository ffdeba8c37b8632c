import { describe, expect, it } from 'vitest';
import { InvalidStepParams, TransformError } from '../../../functions/shared/actions/errors';
import { runTransformAction } from '../../../functions/shared/actions/transform';

const orders = {
  orders: [
    { id: 'a', total: 10, status: 'paid' },
    { id: 'b', total: 25, status: 'open' },
    { id: 'c', total: 5, status: 'paid' },
  ],
};

describe('runTransformAction', () => {
  it('evaluates a JSONata expression against the data', async () => {
    expect(await runTransformAction({ expression: '$sum(orders[status="paid"].total)', data: orders })).toBe(
      15,
    );
    expect(
      await runTransformAction({
        expression: 'orders[total > 6].{ "ref": id, "cents": total * 100 }',
        data: orders,
      }),
    ).toEqual([
      { ref: 'a', cents: 1000 },
      { ref: 'b', cents: 2500 },
    ]);
  });

  it('returns plain JSON (no JSONata sequence flags) and null for no match', async () => {
    const ids = await runTransformAction({ expression: 'orders.id', data: orders });
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(Object.keys(ids as object)).toEqual(['0', '1', '2']);
    expect(await runTransformAction({ expression: 'missing.field', data: orders })).toBeNull();
  });

  it('gives the same result from a cached expression', async () => {
    const params = { expression: '$count(orders)', data: orders };
    expect(await runTransformAction(params)).toBe(3);
    expect(await runTransformAction({ ...params, data: { orders: [] } })).toBe(0);
  });

  it('throws TransformError with the position of a syntax error', async () => {
    const error = await runTransformAction({ expression: 'orders[total > ', data: orders }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransformError);
    expect(error).toMatchObject({ name: 'TransformError', details: { code: expect.any(String) } });
    expect((error as TransformError).details.position).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/syntax error .* at position \d+/);
    expect((error as Error).cause).toMatchObject({ code: expect.any(String), position: expect.any(Number) });
  });

  it('throws TransformError on an evaluation error', async () => {
    const error = await runTransformAction({ expression: '$notAFunction(1)', data: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'TransformError' });
    expect((error as Error).message).toMatch(/evaluation error/);
  });

  it("throws TransformError with the user's message for a $error() call", async () => {
    const error = await runTransformAction({
      expression: 'amount < 0 ? $error("amount must not be negative") : amount',
      data: { amount: -1 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransformError', details: { code: 'D3137' } });
    expect((error as Error).message).toContain('amount must not be negative');
  });

  it('stops runaway recursion at the depth limit', async () => {
    const error = await runTransformAction({
      expression: '($f := function($n) { 1 + $f($n + 1) }; $f(0))',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransformError', details: { code: 'D1011' } });
  });

  it("fails a result over Step Functions' 256 KB state limit with TransformError, and keeps one just under", async () => {
    const error = await runTransformAction({ expression: '[1..1000000]' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransformError);
    expect((error as Error).message).toMatch(/JSONata result is \d+ bytes, over the 262144 bytes/);
    const fits = await runTransformAction({ expression: '$pad("", 262000, "x")' });
    expect(typeof fits === 'string' && fits.length).toBe(262000);
  });

  it('stops an endless loop at the time limit', async () => {
    const error = await runTransformAction(
      { expression: '($f := function($n) { $f($n + 1) }; $f(0))' },
      { timeoutMs: 100 },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransformError', details: { code: 'D1012' } });
  });

  it('rejects a missing expression naming the field', async () => {
    await expect(runTransformAction({ data: {} } as never)).rejects.toMatchObject({
      name: 'InvalidStepParams',
      field: 'expression',
    });
    await expect(runTransformAction({ expression: '' })).rejects.toBeInstanceOf(InvalidStepParams);
  });
});
