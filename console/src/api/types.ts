// The shapes the console reads from the HTTP API: the schemas of its OpenAPI document (docs/openapi.json),
// as openapi-typescript renders them in openapi.d.ts (`npm run api-types`; a unit test fails when that
// file is behind the document), so a page cannot read a field the API does not promise.
import type { components } from './openapi';

type Schemas = components['schemas'];

export type Identity = Schemas['Identity'];
export type TaskRow = Schemas['TaskRow'];
export type TaskStatus = TaskRow['status'];
export type TaskDetail = Schemas['TaskDetail'];

/** A page of a list route: its items, and the cursor of the next page when there is one. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export type TaskTimeline = Schemas['TaskTimeline'];
export type TimelineStep = TaskTimeline['steps'][number];
export type TimelineAttempt = TimelineStep['attempts'][number];
export type AttemptStatus = TimelineAttempt['status'];

export type TaskEvents = Schemas['TaskEvents'];
export type TaskEvent = TaskEvents['events'][number];

export type Approval = Schemas['Approval'];
