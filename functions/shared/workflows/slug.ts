// The slug of workflow, step and worker type ids, in a module of its own: the modules that only check an
// id (route modules, worker types) import it without the DSL's schemas (definition.ts), whose zod build
// would otherwise come along into their bundles.
export const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
