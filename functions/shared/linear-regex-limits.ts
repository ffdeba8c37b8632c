// What V8's linear-time regexp engine (the `l` flag) refuses, in the words the 400s and step errors use:
// a tenant's input schema patterns (workflows/input-schema.ts) and JSONata regular expressions
// (actions/linear-regex.ts) run there. Besides backreferences and lookarounds it refuses a counted
// repetition past 16 (V8 unrolls counts, to at most 16 copies): `{16}` and `{0,16}` run, `{17}`, `{2,64}`
// and `.{1,200}` do not, and nested counts multiply (`(a{0,4}){0,8}` is 32). `+` and `*` are unbounded
// and run; a length limit belongs in `maxLength`. Unrolling a count ourselves would run, but the engine's
// time is the text's length times the pattern's: on a 256 KB string (a task input can hold one) the unanchored
// `a{0,16}b` took 0.45 s here, `a{1,64}b` unrolled 0.9 s and `a{1,255}b` unrolled 12.5 s, one match
// holding the Lambda (and, locally, every tenant's requests). V8's 16 bounds that.
export const LINEAR_REGEX_REFUSES =
  'backreferences, lookarounds and counted repetitions past 16, such as {17} or {2,64} (nested counts multiply), are not supported';
