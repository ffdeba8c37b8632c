// A tenant's JSONata regular expressions (the `/…/` literals of a transform expression, used by $match,
// $contains, $replace, $split) run on V8's linear-time engine, as the input schemas' patterns do
// (workflows/input-schema.ts). On the backtracking engine `$contains(text, /^(a+)+$/)` took 10 s on 31
// characters and hours on 40, and one native match cannot be interrupted: not by the transform's 5 s
// timeout, not by anything but the Lambda's end (on the local stack, every tenant's requests waited).
// The linear engine refuses what it cannot run in linear time (backreferences, lookarounds): such an
// expression is a 400 at registration and fails its step when it comes at run time (`expression.$`).
// It has no `i` flag either, so a case-insensitive literal spells each letter's cases out (`/ab/i` runs
// as `/[aA][bB]/`): the same matches for every letter with one single-character upper and lower case
// (ASCII and most others), and ranges in a class of ASCII letters (`[a-f]` gains `A-F`).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--enable-experimental-regexp-engine');

/** An escape, copied whole: \u{…}, \uXXXX, \xXX, \cX, \p{…} or \P{…}, \k<…>, or a backslash and one character. */
const ESCAPE =
  /\\(?:u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|c[A-Za-z]|[pP]\{[^}]*\}|k<[^>]*>|[\s\S])/y;
/** A named group's opening, whose name must not be spelled out: `(?<name>`. */
const GROUP_NAME = /\(\?<[A-Za-z_$][\w$]*>/y;

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
      // Spelling out the cases adds no construct the engine refuses: the pattern as it is tells (and the
      // registry's bundle need not carry the spelling).
      try {
        new RegExp(node.source, `${node.flags.replace('i', '')}l`);
        return undefined;
      } catch {
        return `the regular expression /${node.source}/ cannot run in linear time (backreferences and lookarounds are not supported)`;
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
function otherCaseRanges(low: string, high: string): string {
  const ranges: string[] = [];
  for (const [from, to, shift] of [
    ['a', 'z', -32],
    ['A', 'Z', 32],
  ] as const) {
    const start = Math.max(low.charCodeAt(0), from.charCodeAt(0));
    const end = Math.min(high.charCodeAt(0), to.charCodeAt(0));
    if (start <= end)
      ranges.push(`${String.fromCharCode(start + shift)}-${String.fromCharCode(end + shift)}`);
  }
  return ranges.join('');
}

/** The pattern with each letter's cases spelled out, so that it matches as with the `i` flag. */
export function spelledCaseless(source: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  const escapeAt = (at: number) => {
    ESCAPE.lastIndex = at;
    return ESCAPE.exec(source)?.[0];
  };
  while (i < source.length) {
    const char = source[i] as string;
    const escaped = char === '\\' ? escapeAt(i) : undefined;
    if (escaped) {
      // A letter written as a code (\x41, \u0041) has cases too.
      const code = /^\\(?:x|u\{?)([0-9A-Fa-f]+)\}?$/.exec(escaped)?.[1];
      const others = code ? otherCases(String.fromCodePoint(Number.parseInt(code, 16))) : '';
      out += others && !inClass ? `[${escaped}${others}]` : escaped + others;
      i += escaped.length;
      continue;
    }
    if (inClass) {
      if (char === ']') {
        inClass = false;
        out += char;
        i++;
        continue;
      }
      const high = source[i + 2];
      if (source[i + 1] === '-' && high !== undefined && high !== ']' && high !== '\\') {
        out += `${char}-${high}${otherCaseRanges(char, high)}`;
        i += 3;
        continue;
      }
      out += char + otherCases(char);
      i++;
      continue;
    }
    if (char === '[') {
      inClass = true;
      out += source[i + 1] === '^' ? '[^' : '[';
      i += source[i + 1] === '^' ? 2 : 1;
      continue;
    }
    GROUP_NAME.lastIndex = i;
    const groupName = char === '(' ? GROUP_NAME.exec(source)?.[0] : undefined;
    if (groupName) {
      out += groupName;
      i += groupName.length;
      continue;
    }
    const others = otherCases(char);
    out += others ? `[${char}${others}]` : char;
    i++;
  }
  return out;
}
