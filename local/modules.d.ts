// dynalite ships no type declarations; this is the part of its API the local stack uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    /** An opened abstract-level database of JSON values, used instead of `path`'s LevelDB (our patch). */
    db?: unknown;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }

  /**
   * Serves one parsed request (`GetItem`, its JSON body) and answers its status and JSON body; added by
   * patches/dynalite+4.0.0.patch. The HTTP handler calls `server.dispatch` once its own checks pass, so a
   * wrapper put there sees every request, over HTTP or not.
   */
  export type DynaliteDispatch = (
    operation: string,
    request: Record<string, unknown>,
    done: (status: number, response: Record<string, unknown>) => void,
  ) => void;

  export type DynaliteServer = Server & { dispatch: DynaliteDispatch };

  export default function dynalite(options?: DynaliteOptions): DynaliteServer;
}
