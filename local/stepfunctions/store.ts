// Persistence of the state machines in `<dataDir>/stepfunctions/state-machines.json` (few and small; the
// executions have their own log, execution-log.ts): the file is replaced atomically (write a temp file,
// then rename) so a crash never leaves half a file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class JsonFileStore<T> {
  private pending: T | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  static in<T>(dataDir: string, name: string): JsonFileStore<T> {
    return new JsonFileStore<T>(join(dataDir, 'stepfunctions', `${name}.json`));
  }

  async load(): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Schedules a write of `value`; writes coalesce, and the last value wins. */
  save(value: T): void {
    const idle = this.pending === undefined;
    this.pending = value;
    if (idle) this.writing = this.writing.then(() => this.flushPending());
  }

  /** Resolves once every scheduled write is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private async flushPending(): Promise<void> {
    const value = this.pending;
    this.pending = undefined;
    if (value === undefined) return;
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(join(this.file, '..'), { recursive: true });
      await writeFile(temp, JSON.stringify(value));
      await rename(temp, this.file);
    } catch (error) {
      console.error(`[stepfunctions] could not write ${this.file}`, error);
    }
  }
}
