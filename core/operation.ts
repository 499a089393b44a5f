import { z } from 'zod';

/**
 * Kinds of operation. `available: false` kinds are accepted and recorded (schedules fire for them from the
 * first deployment) but end as failed with a clear reason until their capability ships.
 */
export const OPERATION_KINDS = {
  selftest: { available: true, summary: 'fan-out check: every stage of the operation pipeline runs once' },
  restore: {
    available: true,
    summary: 'restore bundle of accounts, items or the directory at a point in time',
  },
  smartscan: { available: false, summary: 'incremental scan of changed accounts' },
  purge: { available: false, summary: 'retention purge' },
  coherency: { available: false, summary: 'coherency check of stored objects' },
  'ldap-dump': { available: false, summary: 'LDAP dump request to the agents' },
  reconcile: { available: false, summary: 'compare S3 with the segment catalog' },
} as const;

export type OperationKind = keyof typeof OPERATION_KINDS;
export const operationKindSchema = z.enum(
  Object.keys(OPERATION_KINDS) as [OperationKind, ...OperationKind[]],
);

export const OPERATION_STATES = ['queued', 'running', 'succeeded', 'failed', 'stopped'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];
export const isFinished = (state: OperationState) =>
  state === 'succeeded' || state === 'failed' || state === 'stopped';

export const createOperationRequestSchema = z.strictObject({
  kind: operationKindSchema,
  params: z.record(z.string(), z.unknown()).default({}),
});
export type CreateOperationRequest = z.output<typeof createOperationRequestSchema>;

export const selftestParamsSchema = z.strictObject({
  items: z.number().int().min(1).max(1000).default(3),
});

export interface Operation {
  readonly id: string;
  readonly kind: OperationKind;
  readonly state: OperationState;
  readonly source: 'api' | 'schedule';
  readonly params: Record<string, unknown>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly error?: string;
  /** Counters the work items add up (restore: messages, bytes, unrestored). */
  readonly progress?: Record<string, number>;
  /** What a finished operation produced (restore: where its bundle is, with the manifest's SHA-256). */
  readonly result?: Record<string, unknown>;
}

/** Message on the plan queue. */
export const planMessageSchema = z.strictObject({ operationId: z.uuid() });
/** Message on the work queue. */
export const workMessageSchema = z.strictObject({
  operationId: z.uuid(),
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
});
export type WorkMessage = z.output<typeof workMessageSchema>;
