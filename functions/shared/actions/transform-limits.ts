// The transform step's limits that registration checks too, apart from transform.ts so the registry,
// which never evaluates an expression, does not bundle JSONata's evaluator.

/** The longest JSONata expression a transform step takes. */
export const MAX_EXPRESSION_LENGTH = 64 * 1024;
