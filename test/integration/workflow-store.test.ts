// The workflow store against the embedded DynamoDB: a task start reads the head (latest version) every
// time, since it moves, and a version once per container, since a version never changes once written.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { DocumentClient } from '../../functions/shared/clients/table-commands';
import { WorkflowStore, type WorkflowVersion } from '../../functions/shared/registry/workflow-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);

/** The embedded DynamoDB's client, counting the requests sent through it. */
function countingClient() {
  const sent: string[] = [];
  const client: DocumentClient = {
    send: (command) => {
      sent.push(command.constructor.name);
      return documents.send(command);
    },
  };
  return { client, sent };
}

const versionOf = (workflowId: string, version: number): WorkflowVersion => ({
  orgId: 'org-wf-store',
  workflowId,
  version,
  name: `v${version}`,
  definition: {
    id: workflowId,
    version,
    name: `v${version}`,
    steps: [],
  } as unknown as WorkflowVersion['definition'],
  stateMachineArn: `arn:aws:states:${endpoints.region}:${endpoints.accountId}:stateMachine:${workflowId}-v${version}`,
  createdAt: new Date().toISOString(),
});

describe('the workflow store', () => {
  it('reads the head on every start and each version once, and sees a newer version at once', async () => {
    const workflowId = `wf_${randomUUID().slice(0, 8)}`;
    const { client, sent } = countingClient();
    const store = new WorkflowStore(client, endpoints.tableName);
    // A version not found yet is not remembered as missing.
    expect(await store.getVersion('org-wf-store', workflowId, 1)).toBeUndefined();
    expect(await store.putVersion(versionOf(workflowId, 1))).toBe(true);
    sent.length = 0;
    expect((await store.getVersion('org-wf-store', workflowId))?.version).toBe(1);
    expect((await store.getVersion('org-wf-store', workflowId))?.version).toBe(1);
    expect((await store.getVersion('org-wf-store', workflowId, 1))?.name).toBe('v1');
    // Head, version; then the head only, twice (the second by number: no read at all).
    expect(sent).toEqual(['GetCommand', 'GetCommand', 'GetCommand']);
    // Another container registers version 2: the next start sees it, as the head is always read.
    const other = new WorkflowStore(documents, endpoints.tableName);
    expect(await other.putVersion(versionOf(workflowId, 2))).toBe(true);
    expect((await store.getVersion('org-wf-store', workflowId))?.version).toBe(2);
  });
});
