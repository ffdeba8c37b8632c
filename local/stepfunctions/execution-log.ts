// Persistence of execution records in `<dataDir>/stepfunctions/executions.log`: an append-only log of
// JSON lines, each what one execution changed since its last line (new history events, the journal
// entries that changed, its status), so a write costs what changed, not the size of every record stored.
// Once the lines appended since the last compaction outweigh the log's compacted part (and 8 MB), the
// log is rewritten with one line per execution, amortizing the rewrite over the appends that made it due.
// A kill can tear only the last line, which loading skips. Ended executions beyond `retainedEnded` are
// dropped oldest-ended first (DescribeExecution then answers ExecutionDoesNotExist, as on AWS after 90
// days).
import { writeSync } from 'node:fs';
import { chmod, type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ownerOnlyFolder } from '../owner-only';
import type { ExecutionRecord } from './executions';
import type { JournalEntry } from './task-journal';

/** One line: a change of one execution, or (`removed`) its deletion. */
interface LogLine {
  arn: string;
  removed?: true;
  /** The record without history, journal and pending event: on its first line and whenever it changed. */
  head?: Omit<ExecutionRecord, 'history' | 'tasks' | 'statusEventPending'>;
  /** History events appended since the execution's previous line. */
  history?: ExecutionRecord['history'];
  /** Journal entries added or changed since the previous line, by key. */
  tasks?: JournalEntry[];
  /** The journal was dropped (the execution ended). */
  dropTasks?: true;
  /** Its status event became pending (it ended) or was delivered: a line of its own, not the head's. */
  statusEventPending?: boolean;
}

/** The first line of a compacted log: how many bytes the compacted part has. */
interface Header {
  compactedBytes: number;
}

interface Saved {
  historyLength: number;
  headText: string;
  hadTasks: boolean;
  statusEventPending: boolean;
}

const MIN_COMPACTION_BYTES = 8 * 1024 * 1024;
// Compaction writes in chunks of about this size, yielding between them, so a large log does not hold
// the event loop for the whole rewrite.
const CHUNK_BYTES = 1024 * 1024;
const OWNER_ONLY = 0o600;

function headOf(record: ExecutionRecord): LogLine['head'] {
  const { history: _history, tasks: _tasks, statusEventPending: _pending, ...head } = record;
  return head;
}

function savedOf(record: ExecutionRecord, headText = JSON.stringify(headOf(record))): Saved {
  return {
    historyLength: record.history.length,
    headText,
    hadTasks: record.tasks !== undefined,
    statusEventPending: record.statusEventPending === true,
  };
}

export class ExecutionLog {
  private handle: FileHandle | undefined;
  private readonly saved = new Map<string, Saved>();
  private readonly dirty = new Map<string, ExecutionRecord>();
  private readonly dirtyEntries = new Map<string, Set<JournalEntry>>();
  private readonly removed = new Set<string>();
  private records: ReadonlyMap<string, ExecutionRecord> = new Map();
  private compactedBytes = 0;
  private appendedBytes = 0;
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly directory: string,
    private readonly minCompactionBytes = MIN_COMPACTION_BYTES,
  ) {}

  static in(dataDir: string, minCompactionBytes?: number): ExecutionLog {
    return new ExecutionLog(join(dataDir, 'stepfunctions'), minCompactionBytes);
  }

  private get file(): string {
    return join(this.directory, 'executions.log');
  }

  /** Appends to the log, created owner-only: its lines hold task tokens, which complete steps. */
  private openForAppend(): Promise<FileHandle> {
    return open(this.file, 'a', OWNER_ONLY);
  }

  /**
   * Replays the log into records (oldest first, as they were started); an `executions.json` of an earlier
   * version is taken over. `records` is the live map the log later compacts from.
   */
  async load(records: Map<string, ExecutionRecord>): Promise<void> {
    this.records = records;
    await ownerOnlyFolder(this.directory);
    const text = await readFile(this.file, 'utf8').catch(notFound);
    // A log an earlier version wrote with the umask's mode (0644) is made owner-only too.
    if (text !== undefined) await chmod(this.file, OWNER_ONLY);
    if (text === undefined) {
      const legacy = join(this.directory, 'executions.json');
      const old = await readFile(legacy, 'utf8').catch(notFound);
      for (const record of old ? (JSON.parse(old) as ExecutionRecord[]) : [])
        records.set(record.executionArn, record);
      await this.compact();
      await rm(legacy, { force: true });
      return;
    }
    const lines = text.split('\n');
    const header = parseLine<Header>(lines[0] ?? '');
    for (const [index, line] of lines.entries()) {
      if (index === 0 && header?.compactedBytes !== undefined) continue;
      const change = parseLine<LogLine>(line);
      if (change) apply(records, change);
    }
    for (const record of records.values()) this.markSaved(record);
    this.compactedBytes = header?.compactedBytes ?? 0;
    this.appendedBytes = Buffer.byteLength(text) - this.compactedBytes;
    // A torn last line would run into the next append: rewrite the log without it.
    if (this.compactionDue() || !text.endsWith('\n')) await this.compact();
    else this.handle = await this.openForAppend();
  }

  /** The execution changed (`entry`: the journal entry that did); its line goes out with the next write. */
  changed(record: ExecutionRecord, entry?: JournalEntry): void {
    this.dirty.set(record.executionArn, record);
    if (entry) {
      const entries = this.dirtyEntries.get(record.executionArn) ?? new Set();
      entries.add(entry);
      this.dirtyEntries.set(record.executionArn, entries);
    }
    this.schedule();
  }

  remove(arn: string): void {
    this.dirty.delete(arn);
    this.dirtyEntries.delete(arn);
    this.removed.add(arn);
    this.schedule();
  }

  /** Resolves once every change so far is written. */
  async flush(): Promise<void> {
    while (this.scheduled) await this.writing;
    await this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Changes made while a write is under way go out together with the next one.
    this.writing = this.writing.then(() => this.write());
  }

  private async write(): Promise<void> {
    this.scheduled = false;
    let text = '';
    for (const arn of this.removed) text += `${JSON.stringify({ arn, removed: true })}\n`;
    for (const arn of this.removed) this.saved.delete(arn);
    this.removed.clear();
    for (const [arn, record] of this.dirty) text += `${JSON.stringify(this.delta(arn, record))}\n`;
    this.dirty.clear();
    this.dirtyEntries.clear();
    if (text === '') return;
    try {
      if (!this.handle) this.handle = await this.openForAppend();
      // One synchronous write: an appendFile is a job on libuv's thread pool, whose handoff costs more CPU
      // than the write of a few lines (the log is in append mode, so the write lands at its end).
      writeSync(this.handle.fd, text);
      this.appendedBytes += Buffer.byteLength(text);
      if (this.compactionDue()) await this.compact();
    } catch (error) {
      console.error(`[stepfunctions] could not write ${this.file}`, error);
    }
  }

  /** What changed since the execution's previous line (all of it on its first). */
  private delta(arn: string, record: ExecutionRecord): LogLine {
    const saved = this.saved.get(arn);
    const head = headOf(record);
    const headText = JSON.stringify(head);
    const line: LogLine = { arn };
    if (saved?.headText !== headText) line.head = head;
    const history = record.history.slice(saved?.historyLength ?? 0);
    if (history.length > 0) line.history = history;
    if (!saved) {
      if (record.tasks && record.tasks.length > 0) line.tasks = record.tasks;
    } else {
      const entries = this.dirtyEntries.get(arn);
      if (record.tasks && entries) line.tasks = [...entries];
      if (!record.tasks && saved.hadTasks) line.dropTasks = true;
    }
    const pending = record.statusEventPending === true;
    if (pending !== (saved?.statusEventPending ?? false)) line.statusEventPending = pending;
    this.saved.set(arn, savedOf(record, headText));
    return line;
  }

  private markSaved(record: ExecutionRecord): void {
    this.saved.set(record.executionArn, savedOf(record));
  }

  private compactionDue(): boolean {
    return this.appendedBytes > Math.max(this.minCompactionBytes, this.compactedBytes);
  }

  /** Rewrites the log as one line per execution (a temp file renamed over it, so a crash keeps one whole log). */
  private async compact(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const temp = `${this.file}.${process.pid}.tmp`;
    const out = await open(temp, 'w', OWNER_ONLY);
    // The header is written last, over a placeholder of the same width: only then is the size known.
    const header = (bytes: number) => `{"compactedBytes":${String(bytes).padStart(15, ' ')}}\n`;
    let bytes = 0;
    try {
      let chunk = header(0);
      // Records changed from here on are written after the compacted part, from the marks set here.
      this.dirty.clear();
      this.dirtyEntries.clear();
      this.removed.clear();
      this.saved.clear();
      for (const record of [...this.records.values()]) {
        if (!this.records.has(record.executionArn)) continue; // dropped while an earlier chunk was written
        const line: LogLine = {
          arn: record.executionArn,
          head: headOf(record),
          history: record.history,
          ...(record.tasks && { tasks: record.tasks }),
          ...(record.statusEventPending && { statusEventPending: true }),
        };
        this.markSaved(record);
        chunk += `${JSON.stringify(line)}\n`;
        if (chunk.length >= CHUNK_BYTES) {
          bytes += Buffer.byteLength(chunk);
          await out.write(chunk);
          chunk = '';
        }
      }
      await out.write(chunk);
      bytes += Buffer.byteLength(chunk);
      await out.write(header(bytes), 0);
    } finally {
      await out.close();
    }
    await rename(temp, this.file);
    this.compactedBytes = bytes;
    this.appendedBytes = 0;
    this.handle = await this.openForAppend();
  }
}

function apply(records: Map<string, ExecutionRecord>, change: LogLine): void {
  if (change.removed) {
    records.delete(change.arn);
    return;
  }
  let record = records.get(change.arn);
  if (!record) {
    if (!change.head) return; // a change of an execution dropped before (cannot happen; skip it)
    record = { ...change.head, history: [] };
    records.set(change.arn, record);
  } else if (change.head) {
    const { history, tasks, statusEventPending } = record;
    for (const key of Object.keys(record)) delete (record as unknown as Record<string, unknown>)[key];
    Object.assign(
      record,
      change.head,
      { history },
      tasks && { tasks },
      statusEventPending && { statusEventPending },
    );
  }
  if (change.history) record.history.push(...change.history);
  if (change.tasks) {
    record.tasks ??= [];
    const byKey = new Map(record.tasks.map((entry, index) => [entry.key, index]));
    for (const entry of change.tasks) {
      const index = byKey.get(entry.key);
      if (index === undefined) record.tasks.push(entry);
      else record.tasks[index] = entry;
    }
  }
  if (change.dropTasks) delete record.tasks;
  if (change.statusEventPending === true) record.statusEventPending = true;
  else if (change.statusEventPending === false) delete record.statusEventPending;
}

function parseLine<T>(line: string): T | undefined {
  if (line.trim() === '') return undefined;
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined; // the torn last line of a write a kill interrupted
  }
}

function notFound(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
