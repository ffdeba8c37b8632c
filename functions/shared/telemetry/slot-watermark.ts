// A reader's place in the settled index: one item holding the last 10-s slot it has read through, moved
// only forward (a conditional update), so two runs at once never step it back. The aggregate folder keeps
// one (aggregate-store.ts), the TASK_FAILED rule its own (alerts/rules/failed-tasks.ts).
import { type DocumentClient, GetCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite } from '../table-items';
import type { ItemKey } from './aggregate-keys';

export class SlotWatermark {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
    private readonly key: ItemKey,
    /** The item's `type` attribute. */
    private readonly type: string,
  ) {}

  /** The last slot read through; undefined before the first run. */
  async get(): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }),
    );
    return typeof Item?.slot === 'number' ? Item.slot : undefined;
  }

  /** Moves the watermark forward to `slot`; false when it already stands there or further. */
  async advance(slot: number): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET slot = :slot, #type = :type',
          ConditionExpression: 'attribute_not_exists(slot) OR slot < :slot',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':slot': slot, ':type': this.type },
        }),
      ),
    );
    return written !== undefined;
  }
}
