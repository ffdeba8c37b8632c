// The shapes the console reads from the HTTP API (docs/openapi.json), as far as it uses them.
export type TaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';

export interface Identity {
  readonly orgId: string;
  readonly role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'OPERATOR';
  readonly principal: string;
  readonly method: 'jwt' | 'api-key';
}

export interface TaskRow {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  readonly agentId?: string;
  readonly tags?: Record<string, string>;
  readonly status: TaskStatus;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly error?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export interface TaskDetail extends TaskRow {
  readonly input?: unknown;
  readonly output?: unknown;
  readonly cause?: string;
  readonly updatedAt: string;
  readonly executionArn: string;
}

export type AttemptStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'ABORTED';

export interface TimelineAttempt {
  readonly attempt: number;
  readonly status: AttemptStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  readonly worker?: string;
  readonly decidedBy?: string;
  readonly decision?: 'approve' | 'reject';
}

export interface TimelineStep {
  readonly stepId: string;
  readonly type: string;
  readonly order: number;
  readonly status: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly retryCount: number;
  readonly attempts: TimelineAttempt[];
  readonly inputSummary?: string;
  readonly outputSummary?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly iterations?: {
    readonly total: number;
    readonly byStatus: Record<string, number>;
    readonly duration: { readonly minMs: number; readonly avgMs: number; readonly maxMs: number };
  };
  /** A wait's window, inferred from the steps around it. */
  readonly windowInferred?: true;
}

export interface TaskTimeline {
  readonly taskId: string;
  readonly workflowId: string;
  readonly status: TaskStatus;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly queueMs?: number;
  readonly durationMs?: number;
  readonly steps: TimelineStep[];
  readonly totals: Record<string, number>;
}

export interface TaskEvent {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly stepId?: string;
  readonly mapIndex?: number;
  readonly attempt?: number;
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly durationMs?: number;
}

export interface TaskEvents {
  readonly taskId: string;
  readonly events: TaskEvent[];
}

export interface Approval {
  readonly taskId: string;
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED';
  readonly message: string;
  readonly approvers: string[];
  readonly requestedAt: string;
  readonly deadline: string;
}
