// What the WebSocket API pushes: task, step, worker and alert events as they are recorded, and who may
// hear each one. A subscription is an entry in its partition's subscribers item (live-store.ts); an event
// names the partitions it goes to (its audience), so a fan-out reads those items by key, never a Scan.
import type { AlertEvent, AlertRecord } from '../alerts/alert';
import type { StepStatus, TaskStatus } from '../tasks/task';
import type { WorkerStatus } from '../workers/worker-item';

export const LIVE_TOPICS = ['tasks', 'task', 'workers', 'alerts'] as const;
export type LiveTopic = (typeof LIVE_TOPICS)[number];

/** A task was created (PENDING), started running, or settled; status as GET /tasks/{id} shows it. */
export interface TaskLiveEvent {
  readonly kind: 'task';
  readonly org: string;
  readonly taskId: string;
  readonly workflowId: string;
  readonly agentId?: string;
  readonly status: TaskStatus;
  /** The settled task's error name. */
  readonly error?: string;
  readonly at: string;
}

/** A step (or map iteration) changed status: an attempt started or ended, or the state machine decided. */
export interface StepLiveEvent {
  readonly kind: 'step';
  readonly org: string;
  readonly taskId: string;
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly status: StepStatus;
  readonly attempt?: number;
  readonly error?: string;
  readonly at: string;
}

/** A worker changed status (not every heartbeat); org only when it goes to exactly one org (live-workers.ts). */
export interface WorkerLiveEvent {
  readonly kind: 'worker';
  readonly org?: string;
  readonly workerId: string;
  readonly workerType: string;
  readonly status: WorkerStatus;
  readonly at: string;
}

export type AlertLiveChange = AlertEvent | 'ACKNOWLEDGED';

/** An alert was opened, escalated, reminded of, resolved or acknowledged; org-less alerts reach operators only. */
export interface AlertLiveEvent {
  readonly kind: 'alert';
  readonly org?: string;
  readonly event: AlertLiveChange;
  readonly alert: AlertRecord;
  readonly at: string;
}

export type LiveEvent = TaskLiveEvent | StepLiveEvent | WorkerLiveEvent | AlertLiveEvent;

/** One subscription partition an event goes to, and the topic its subscribers asked for. */
export interface AudienceEntry {
  readonly topic: LiveTopic;
  readonly partition: string;
}

/** The org-wide topics, which an org user subscribes to for its own org and an operator for one org or all. */
export type OrgTopic = Exclude<LiveTopic, 'task'>;

/** Subscription partitions: per topic and org, per topic for every org (operators' '*'), per task. */
export const topicPartition = (topic: OrgTopic, org: string | '*') =>
  org === '*' ? `LIVE#${topic}#ALL` : `LIVE#${topic}#ORG#${org}`;
export const taskPartition = (taskId: string) => `LIVE#task#${taskId}`;

const orgWide = (topic: OrgTopic, orgs: readonly string[]): AudienceEntry[] => [
  ...orgs.map((org) => ({ topic, partition: topicPartition(topic, org) })),
  { topic, partition: topicPartition(topic, '*') },
];

/**
 * Who hears an event: a task event its task's subscribers and its org's task list (and operators'); a step
 * event its task's subscribers, and the task lists too when it is RETRYING (a list shows it); worker and
 * alert events their org's (for a worker, the orgs that have it: `workerOrgs`) and operators'.
 */
export function audienceOf(event: LiveEvent, workerOrgs: readonly string[] = []): AudienceEntry[] {
  switch (event.kind) {
    case 'task':
      return [{ topic: 'task', partition: taskPartition(event.taskId) }, ...orgWide('tasks', [event.org])];
    case 'step':
      return [
        { topic: 'task', partition: taskPartition(event.taskId) },
        ...(event.status === 'RETRYING' ? orgWide('tasks', [event.org]) : []),
      ];
    case 'worker':
      return orgWide('workers', event.org !== undefined ? [event.org] : workerOrgs);
    case 'alert':
      return orgWide('alerts', event.org !== undefined ? [event.org] : []);
  }
}

/** Events of one key are posted in the order they were recorded (a task's and its steps' share the task). */
export function orderingKeyOf(event: LiveEvent): string {
  switch (event.kind) {
    case 'task':
    case 'step':
      return `task#${event.taskId}`;
    case 'worker':
      return `worker#${event.workerId}`;
    case 'alert':
      return `alert#${event.alert.id}`;
  }
}
