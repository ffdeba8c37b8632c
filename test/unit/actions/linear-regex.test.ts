import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { TransformError } from '../../../functions/shared/actions/errors';
import {
  linearRegExp,
  nonLinearRegexIn,
  spelledCaseless,
} from '../../../functions/shared/actions/linear-regex';
import { runTransformAction } from '../../../functions/shared/actions/transform';

/** Every match of a global regex: its text and index. */
const matchesOf = (regex: RegExp, text: string) =>
  [...text.matchAll(regex)].map((match) => [match[0], match.index, ...match.slice(1)]);

describe('regular expressions on the linear-time engine', () => {
  it('match what the backtracking engine matches, the i flag spelled out', () => {
    const patterns = [
      'abc',
      'a+b*',
      '[a-f]+',
      '[^a-cX]+',
      '[A-Z][a-z]+',
      '(?<word>ab)c',
      '\\w+@\\w+\\.COM',
      '\\x41b',
      'é+',
      '^z.*Z$',
      '[a-z0-9_-]{2,}',
      '(foo|BAR)+',
      '[\\x41-\\x5A]+',
      '[\\x61-z]+',
      '[a-\\x7A]+',
      '[\\d-z]+',
      '(?<é>ab)',
      '\\p\\-x',
    ];
    const texts = [
      '_[^` pP-X p-x 7z-Z',
      'ABC abc aBc',
      'aaBBb',
      'Face fEED 09',
      'xXabcABCdef',
      'Hello WORLD Ok',
      'ABc abC',
      'me@host.com ME@HOST.COM',
      'ab AB Ab',
      'éÉé',
      'zany Z',
      'A-b_9 x',
      'fooBARbar FOO',
    ];
    for (const pattern of patterns) {
      for (const flags of ['g', 'gi', 'gm', 'gim']) {
        const native = new RegExp(pattern, flags);
        const linear = linearRegExp(native);
        expect(linear.flags).toContain('l');
        for (const text of texts) {
          expect(matchesOf(linear, text), `/${pattern}/${flags} on ${text}`).toEqual(matchesOf(native, text));
        }
      }
    }
  });

  it("spell out each letter's cases, a letter written as a code too; escapes, named groups and classes keep their meaning", () => {
    expect(spelledCaseless('(?<word>ab)[^a-cX\\d]\\x41{2,3}')).toBe(
      '(?<word>[aA][bB])[^a-cA-CXx\\d][\\x41a]{2,3}',
    );
  });

  it('refuse at registration what they cannot run, a case-insensitive one as it will run', () => {
    const refused = nonLinearRegexIn(jsonata('$match(t, /\\u{41}/i)').ast());
    expect(refused).toMatch(/cannot run in linear time/);
    expect(nonLinearRegexIn(jsonata('$match(t, /(a)\\1/)').ast())).toMatch(/backreferences/);
    expect(nonLinearRegexIn(jsonata('$match(t, /[\\x41-\\x5A]+/i)').ast())).toBeUndefined();
  });

  it('refuse what cannot run in linear time (backreferences, lookarounds, counts past 16)', () => {
    for (const pattern of ['(a)\\1', 'a(?=b)', '(?<!x)y', 'a{17}', '[a-z]{2,64}', '(a{0,4}){0,8}']) {
      expect(() => linearRegExp(new RegExp(pattern, 'g'))).toThrow(/linear time/);
    }
    expect(nonLinearRegexIn(jsonata('$match(t, /[a-z]{2,64}/)').ast())).toMatch(
      /counted repetitions past 16/,
    );
    expect(nonLinearRegexIn(jsonata('$match(t, /[a-z]{2,16}/)').ast())).toBeUndefined();
  });
});

describe('a transform with a regular expression', () => {
  it('runs a nested quantifier in linear time: the native engine would take hours on this input', async () => {
    const text = `${'a'.repeat(5000)}!`;
    expect(await runTransformAction({ expression: '$contains(text, /^(a+)+$/)', data: { text } })).toBe(
      false,
    );
    expect(await runTransformAction({ expression: '$contains(text, /^(A+)+!$/i)', data: { text } })).toBe(
      true,
    );
  });

  it('parses a $toMillis picture in linear time (a picture may come from the data)', async () => {
    const data = { s: `${'1'.repeat(60)}x`, picture: '[f][f][f][f][f][f][f][f]' };
    expect(await runTransformAction({ expression: '$toMillis(s, picture)', data })).toBeNull();
    expect(
      await runTransformAction({ expression: "$toMillis('5 March 2024', '[D1] [MNn] [Y0001]')", data: {} }),
    ).toBe(Date.UTC(2024, 2, 5));
  });

  it('fails the step, by name, for a regular expression that cannot run in linear time', async () => {
    const run = runTransformAction({ expression: '$match(text, /(a)\\1/)', data: { text: 'aa' } });
    await expect(run).rejects.toThrow(TransformError);
    await expect(run).rejects.toThrow(/cannot run in linear time/);
  });
});
