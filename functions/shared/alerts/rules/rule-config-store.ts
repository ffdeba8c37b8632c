// Alert rule levels in the single table, one item per level that sets anything, all in one partition:
//   ALERTRULES / DEPLOYMENT | ORG#<org> | ORG#<org>#WF#<wf>
// The API reads a level with GetItem; the sweeper reads every level with one Query per run (the partition
// holds only levels someone configured, far fewer than tasks), and resolves each org's and workflow's
// rules from that book in memory.
import {
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '../../clients/table-commands';
import { type AlertRules, type AlertRulesLevel, effectiveRules, type RuleLevel } from './rule-config';

export const ALERT_RULES_PARTITION = 'ALERTRULES';

export const levelSk = (level: RuleLevel): string => {
  if (level.scope === 'deployment') return 'DEPLOYMENT';
  if (level.scope === 'org') return `ORG#${level.orgId}`;
  return `ORG#${level.orgId}#WF#${level.workflowId}`;
};

export interface StoredLevel {
  readonly rules: AlertRulesLevel;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** Every configured level, resolved per org and workflow. */
export class RuleBook {
  constructor(private readonly levels: ReadonlyMap<string, AlertRulesLevel> = new Map()) {}

  forOrg(orgId: string): AlertRules {
    return effectiveRules(
      this.levels.get(levelSk({ scope: 'deployment' })),
      this.levels.get(levelSk({ scope: 'org', orgId })),
    );
  }

  forWorkflow(orgId: string, workflowId: string): AlertRules {
    return effectiveRules(
      this.levels.get(levelSk({ scope: 'deployment' })),
      this.levels.get(levelSk({ scope: 'org', orgId })),
      this.levels.get(levelSk({ scope: 'workflow', orgId, workflowId })),
    );
  }

  forDeployment(): AlertRules {
    return effectiveRules(this.levels.get(levelSk({ scope: 'deployment' })));
  }

  /** The book as a PUT of `rules` at `level` would leave it (empty rules remove the level). */
  with(level: RuleLevel, rules: AlertRulesLevel): RuleBook {
    const levels = new Map(this.levels);
    if (Object.keys(rules).length === 0) levels.delete(levelSk(level));
    else levels.set(levelSk(level), rules);
    return new RuleBook(levels);
  }

  /**
   * The configured levels below `level` (an org's workflows; every org and workflow under the deployment)
   * with the rules each resolves to: what a change at `level` also changes. Org ids hold no `#`.
   */
  levelsBelow(level: RuleLevel): { readonly level: RuleLevel; readonly rules: AlertRules }[] {
    if (level.scope === 'workflow') return [];
    const below: { level: RuleLevel; rules: AlertRules }[] = [];
    for (const sk of this.levels.keys()) {
      const [, orgId, , workflowId] = /^ORG#([^#]+)(#WF#(.+))?$/.exec(sk) ?? [];
      if (orgId === undefined || (level.scope === 'org' && (orgId !== level.orgId || !workflowId))) continue;
      below.push(
        workflowId
          ? { level: { scope: 'workflow', orgId, workflowId }, rules: this.forWorkflow(orgId, workflowId) }
          : { level: { scope: 'org', orgId }, rules: this.forOrg(orgId) },
      );
    }
    return below;
  }

  /** The largest value any level (or the default) gives a setting: an upper bound of what any scope uses. */
  largest(pick: (rules: AlertRules) => number | undefined): number | undefined {
    const values = [this.forDeployment(), ...[...this.levels.values()].map((level) => effectiveRules(level))]
      .map(pick)
      .filter((value): value is number => value !== undefined);
    return values.length > 0 ? Math.max(...values) : undefined;
  }

  /** The smallest value any level (or the default) gives a setting. */
  smallest(pick: (rules: AlertRules) => number | undefined): number | undefined {
    const largestNegated = this.largest((rules) => {
      const value = pick(rules);
      return value === undefined ? undefined : -value;
    });
    return largestNegated === undefined ? undefined : -largestNegated;
  }
}

export interface AlertRulesStore {
  get(level: RuleLevel): Promise<StoredLevel | undefined>;
  /** Replaces a level's settings; an empty `rules` removes the level (it inherits everything again). */
  put(level: RuleLevel, rules: AlertRulesLevel, updatedBy: string, updatedAt: string): Promise<void>;
  /** Every level (one Query, paged). */
  book(): Promise<RuleBook>;
}

/** Pages of the rules partition one book reads at most (1 MB each: far more levels than any deployment has). */
const MAX_BOOK_PAGES = 20;

export class DynamoAlertRulesStore implements AlertRulesStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async get(level: RuleLevel): Promise<StoredLevel | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: ALERT_RULES_PARTITION, sk: levelSk(level) },
        ConsistentRead: true,
      }),
    );
    return Item ? storedOf(Item) : undefined;
  }

  async put(level: RuleLevel, rules: AlertRulesLevel, updatedBy: string, updatedAt: string): Promise<void> {
    const Key = { pk: ALERT_RULES_PARTITION, sk: levelSk(level) };
    if (Object.keys(rules).length === 0) {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key }));
      return;
    }
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...Key, type: 'AlertRules', rules, updatedAt, updatedBy },
      }),
    );
  }

  async book(): Promise<RuleBook> {
    const levels = new Map<string, AlertRulesLevel>();
    let startKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': ALERT_RULES_PARTITION },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) levels.set(String(item.sk), storedOf(item).rules);
      startKey = page.LastEvaluatedKey;
      pages++;
    } while (startKey && pages < MAX_BOOK_PAGES);
    return new RuleBook(levels);
  }
}

function storedOf(item: Record<string, unknown>): StoredLevel {
  return {
    rules: (item.rules ?? {}) as AlertRulesLevel,
    updatedAt: String(item.updatedAt),
    updatedBy: String(item.updatedBy),
  };
}
