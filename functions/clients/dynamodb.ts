import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '#functions/observability.ts';

// Created once per container. Endpoints come from the standard AWS_ENDPOINT_URL_* variables locally.
let client: DynamoDBDocumentClient | undefined;

export function dynamodb(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}

/** Tests replace the client. */
export function setDynamodb(replacement: DynamoDBDocumentClient | undefined): void {
  client = replacement;
}

/**
 * Whether a write was refused by its condition. By name, not class: an error may come from another copy of the
 * SDK (a bundle's, a test's stub), where `instanceof` says no.
 */
export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
