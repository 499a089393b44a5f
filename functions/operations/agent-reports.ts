import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { operationKeys } from '#core/index-keys.ts';
import {
  type AgentReport,
  type AgentReportItem,
  agentReportItem,
  agentReportOf,
} from '#core/operations/agent-reports.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import type { OperationsTable } from '#functions/operations/operations-store.ts';
import { queryAll } from '#functions/query/query-all.ts';

/** Keeps what a server's agent reports it shipped (the latest only), with when it was received. */
export async function putAgentReport(
  table: OperationsTable,
  serverId: string,
  report: AgentReport,
  now = new Date(),
): Promise<AgentReportItem> {
  const item = agentReportItem(serverId, report, now.toISOString());
  await dynamodb().send(new PutCommand({ TableName: table.operationsTable, Item: item }));
  return item;
}

/** One server's last agent report, if its agent ever sent one. */
export async function agentReport(
  table: OperationsTable,
  serverId: string,
): Promise<AgentReportItem | undefined> {
  const out = await dynamodb().send(
    new GetCommand({ TableName: table.operationsTable, Key: operationKeys.agentReport(serverId) }),
  );
  return out.Item ? agentReportOf(out.Item) : undefined;
}

/** Every server's last agent report, by server id. */
export async function agentReports(table: OperationsTable): Promise<Map<string, AgentReportItem>> {
  const { items } = await queryAll({
    TableName: table.operationsTable,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': operationKeys.agentReports.pk },
  });
  return new Map(items.map(agentReportOf).map((r) => [r.serverId, r]));
}
