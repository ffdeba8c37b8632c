import { describe, expect, it } from 'vitest';
import { depthOf, MAX_STORED_DEPTH, summarizeOutput } from '../../../functions/shared/tasks/task-output';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};
const execution = (steps: Record<string, unknown>) => JSON.stringify({ task: {}, input: {}, steps });

describe('summarizeOutput', () => {
  it('keeps the steps as they are when they fit', () => {
    const steps = { a: { status: 'SUCCEEDED', output: { n: 1 } }, w: { status: 'SUCCEEDED' } };
    expect(summarizeOutput(execution(steps))).toEqual(steps);
  });

  it('stores a step output nested 40 deep as a truncated JSON preview, keeping the other steps', () => {
    const deep = nested(40);
    const stored = summarizeOutput(
      execution({
        deep: { status: 'SUCCEEDED', output: deep },
        small: { status: 'SUCCEEDED', output: { n: 1 } },
      }),
    );
    expect(stored).toEqual({
      deep: { status: 'SUCCEEDED', output: { truncated: true, preview: JSON.stringify(deep) } },
      small: { status: 'SUCCEEDED', output: { n: 1 } },
    });
    expect(depthOf(stored, 100)).toBeLessThanOrEqual(MAX_STORED_DEPTH);
  });

  it('keeps an output that reaches the limit exactly and previews one a level deeper', () => {
    // The attribute's map, then the step entry, then the output: an output of 30 levels makes 32.
    const fits = summarizeOutput(execution({ s: { status: 'SUCCEEDED', output: nested(30) } }));
    expect(fits).toEqual({ s: { status: 'SUCCEEDED', output: nested(30) } });
    expect(depthOf(fits, 100)).toBe(MAX_STORED_DEPTH);
    const over = summarizeOutput(execution({ s: { status: 'SUCCEEDED', output: nested(31) } }));
    expect(over).toMatchObject({ s: { output: { truncated: true } } });
  });

  it('previews a deep map iteration inside the map step output', () => {
    const iterations = [{ inner: { status: 'SUCCEEDED', output: nested(40) } }];
    const stored = summarizeOutput(execution({ m: { status: 'SUCCEEDED', output: iterations } }));
    expect(stored).toEqual({
      m: { status: 'SUCCEEDED', output: { truncated: true, preview: JSON.stringify(iterations) } },
    });
  });

  it('cuts the preview of a large deep output to 2,000 characters', () => {
    const big = { blob: 'x'.repeat(5_000), deep: nested(40) };
    const stored = summarizeOutput(execution({ s: { status: 'SUCCEEDED', output: big } })) as {
      s: { output: { preview: string } };
    };
    expect(stored.s.output.preview).toHaveLength(2_000);
  });

  it('previews the whole output when it is over 32,000 characters', () => {
    const stored = summarizeOutput(execution({ s: { status: 'SUCCEEDED', output: 'x'.repeat(40_000) } }));
    expect(stored).toMatchObject({ truncated: true, preview: expect.stringMatching(/^\{"s":/) });
  });
});

describe('depthOf', () => {
  it('counts maps and lists, scalars being 0, without overflowing the stack', () => {
    expect(depthOf('x', 32)).toBe(0);
    expect(depthOf({}, 32)).toBe(1);
    expect(depthOf({ a: [1, { b: 2 }] }, 32)).toBe(3);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(depthOf(deep, 32)).toBe(33);
  });
});
