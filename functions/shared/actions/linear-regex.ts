// A tenant's JSONata regular expressions (the `/…/` literals of a transform expression, used by $match,
// $contains, $replace, $split) run on V8's linear-time engine, as the input schemas' patterns do
// (workflows/input-schema.ts). On the backtracking engine `$contains(text, /^(a+)+$/)` took 10 s on 31
// characters and hours on 40, and one native match cannot be interrupted: not by the transform's 5 s
// timeout, not by anything but the Lambda's end (on the local stack, every tenant's requests waited).
// The linear engine refuses what it cannot run in linear time (backreferences, lookarounds, counted
// repetitions past 16: ../linear-regex-limits.ts): such an expression is a 400 at registration and fails
// its step when it comes at run time (`expression.$`).
// It has no `i` flag either, so a case-insensitive literal spells each letter's cases out (`/ab/i` runs
// as `/[aA][bB]/`): the same matches for every letter with one single-character upper and lower case
// (ASCII and most others), and ranges in a class of ASCII letters (`[a-f]` gains `A-F`). The regular
// expression JSONata makes of a `$toMillis` picture runs there as well.
import { setFlagsFromString } from 'node:v8';
import { shownText } from '../http/shown-text';
import { LINEAR_REGEX_REFUSES } from '../linear-regex-limits';

setFlagsFromString('--enable-experimental-regexp-engine');

/**
 * An escape, read whole: \xHH, \uHHHH, \cX, or a backslash and one character. A literal runs without
 * the `u` flag (JSONata sets only g, i and m), where `\u{41}` is `u` repeated 41 times and `\p{L}` reads
 * `p{L}`: so neither has a form of its own here.
 */
const ESCAPE = /\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|c[A-Za-z]|[\s\S])/y;
/** A named group's opening, its name copied as it is: `(?<name>`. */
const GROUP_NAME = /\(\?<(?![=!])[^>]*>/y;
/** Escapes of a letter that mean something else than the letter (a class, a control, a reference). */
const SPECIAL_ESCAPE_LETTERS = new Set('bBdDwWsSnrtvfcxuk');

const KEPT = 200;
const kept = new Map<string, RegExp>();

/** The regular expression on the linear-time engine; throws a SyntaxError when it cannot run there. */
export function linearRegExp(regex: RegExp): RegExp {
  const key = `${regex.flags}/${regex.source}`;
  const found = kept.get(key);
  if (found) return new RegExp(found);
  const caseless = regex.flags.includes('i');
  const flags = `${regex.flags.replace('i', '')}l`;
  const linear = new RegExp(caseless ? spelledCaseless(regex.source) : regex.source, flags);
  kept.set(key, linear);
  if (kept.size > KEPT) kept.delete(kept.keys().next().value as string);
  // A copy per use: JSONata keeps lastIndex on the one it is given.
  return new RegExp(linear);
}

// The matcher JSONata builds from a `$toMillis` picture too, through the hook patched into it
// (patches/jsonata+*.patch): `$toMillis(s, '[f][f][f][f][f][f][f][f]')` on 60 digits took 28 s.
(globalThis as Record<symbol, unknown>)[Symbol.for('jsonata.pictureRegExp')] = (source: string) =>
  linearRegExp(new RegExp(source, 'i'));

/**
 * JSONata's RegexEngine option: JSONata calls `new RegexEngine(literal)`, and a constructor that returns an
 * object gives that object.
 */
export const LinearRegexEngine = function LinearRegexEngine(regex: RegExp) {
  return linearRegExp(regex);
} as unknown as RegExpConstructor;

/** Why a regex literal of an expression cannot run on the linear-time engine, or undefined. */
export function nonLinearRegexIn(ast: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (node: unknown): string | undefined => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return undefined;
    seen.add(node);
    if (node instanceof RegExp) {
      // As it will run: a case-insensitive one spelled out.
      try {
        linearRegExp(node);
        return undefined;
      } catch {
        return `the regular expression /${shownText(node.source, 200)}/ cannot run in linear time (${LINEAR_REGEX_REFUSES})`;
      }
    }
    for (const value of Object.values(node)) {
      const problem = visit(value);
      if (problem) return problem;
    }
    return undefined;
  };
  return visit(ast);
}

/** The other cases of a character that has them as single characters (`a` -> `A`, `É` -> `é`). */
function otherCases(char: string): string {
  return [char.toLowerCase(), char.toUpperCase()]
    .filter((other) => other !== char && other.length === 1)
    .join('');
}

/** A range's counterparts in the other case, for the ASCII letters it spans (`a-f` -> `A-F`). */
function otherCaseRanges(low: number, high: number): string {
  const ranges: string[] = [];
  for (const [from, to, shift] of [
    [0x61, 0x7a, -32],
    [0x41, 0x5a, 32],
  ] as const) {
    const start = Math.max(low, from);
    const end = Math.min(high, to);
    if (start <= end)
      ranges.push(`${String.fromCharCode(start + shift)}-${String.fromCharCode(end + shift)}`);
  }
  return ranges.join('');
}

/** One character of the pattern, or one escape, with the character it stands for when it is one. */
interface Atom {
  readonly text: string;
  readonly char?: string;
}

function atomAt(source: string, at: number): Atom {
  if (source[at] !== '\\') return { text: source[at] as string, char: source[at] };
  ESCAPE.lastIndex = at;
  const text = ESCAPE.exec(source)?.[0] ?? '\\';
  const code = /^\\[xu]([0-9A-Fa-f]+)$/.exec(text)?.[1];
  if (code) return { text, char: String.fromCharCode(Number.parseInt(code, 16)) };
  const escaped = text[1] ?? '';
  // An identity escape (`\.`, `\-`, or a letter without a meaning of its own, as `\p`) is that character.
  const identity = text.length === 2 && !/[0-9]/.test(escaped) && !SPECIAL_ESCAPE_LETTERS.has(escaped);
  return identity ? { text, char: escaped } : { text };
}

/** The pattern with each letter's cases spelled out, so that it matches as with the `i` flag. */
export function spelledCaseless(source: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < source.length) {
    if (!inClass && source[i] === '(') {
      GROUP_NAME.lastIndex = i;
      const groupName = GROUP_NAME.exec(source)?.[0];
      if (groupName) {
        out += groupName;
        i += groupName.length;
        continue;
      }
    }
    if (!inClass && source[i] === '[') {
      inClass = true;
      const negated = source[i + 1] === '^';
      out += negated ? '[^' : '[';
      i += negated ? 2 : 1;
      continue;
    }
    if (inClass && source[i] === ']') {
      inClass = false;
      out += ']';
      i++;
      continue;
    }
    const atom = atomAt(source, i);
    i += atom.text.length;
    if (inClass && source[i] === '-' && source[i + 1] !== undefined && source[i + 1] !== ']') {
      const high = atomAt(source, i + 1);
      i += 1 + high.text.length;
      if (atom.char !== undefined && high.char !== undefined) {
        out += `${atom.text}-${high.text}${otherCaseRanges(atom.char.charCodeAt(0), high.char.charCodeAt(0))}`;
      } else {
        // A class escape at either end (`[\d-z]`): no range, the `-` is a character of the class.
        const withCases = ({ text, char }: Atom) => text + (char === undefined ? '' : otherCases(char));
        out += `${withCases(atom)}-${withCases(high)}`;
      }
      continue;
    }
    const others = atom.char === undefined ? '' : otherCases(atom.char);
    out += !others ? atom.text : inClass ? atom.text + others : `[${atom.text}${others}]`;
  }
  return out;
}
