// zod/mini for the Lambda code paths: the same schemas as zod's classic build, in functions (z.optional(x),
// x.check(z.minLength(1))) that esbuild can tree-shake, with zod's English messages, which are what the
// API returns (the one locale bundled). Import it as a namespace: `import * as z from '../zod-mini'`.
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
