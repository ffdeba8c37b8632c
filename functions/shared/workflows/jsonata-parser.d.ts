// node_modules/jsonata/parser.js, which postinstall writes (patches/jsonata-parser.mjs): JSONata's parser
// alone, for code that checks expressions and never evaluates one.
declare module 'jsonata/parser' {
  import type jsonata from 'jsonata';
  /** The AST of an expression, as `jsonata(expression).ast()` gives it; throws its syntax error. */
  export default function parseExpression(expression: string): jsonata.ExprNode;
}
