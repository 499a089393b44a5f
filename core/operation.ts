import { z } from 'zod';

/**
 * Kinds of operation. `available: false` kinds are accepted and recorded (schedules fire for them from the
 * first deployment) but end as failed with a clear reason until their capability ships. Kinds that run on
 * `agent` are dispatched to the agents of the servers they name, which claim them over the control API, run
 * them on the mail host and report back; the others fan out to the workers.
 */
export const OPERATION_KINDS = {
  selftest: {
    available: true,
    runsOn: 'cloud',
    summary: 'fan-out check: every stage of the operation pipeline runs once',
  },
  restore: {
    available: true,
    runsOn: 'cloud',
    summary: 'restore bundle of accounts, items or the directory at a point in time',
  },
  smartscan: { available: true, runsOn: 'agent', summary: 'incremental scan of changed accounts' },
  // Exclusive: one at a time (a second one waits queued until the first ends).
  purge: { available: true, runsOn: 'cloud', exclusive: true, summary: 'retention purge' },
  coherency: {
    available: true,
    runsOn: 'cloud',
    exclusive: true,
    summary: 'coherency check of stored objects',
  },
  export: {
    available: true,
    runsOn: 'cloud',
    summary: 'self-contained copy of accounts at an instant, to a prefix or transfer bucket',
  },
  import: {
    available: true,
    runsOn: 'cloud',
    summary: 'an export brought into this deployment (directory first, then mailboxes)',
  },
  reindex: {
    available: true,
    runsOn: 'cloud',
    exclusive: true,
    summary: "rebuild servers' index from their redo segments, LDAP dumps and scan snapshots in the bucket",
  },
  // Placing and releasing a hold run one; exclusive, so two never flag and clear the same object at once.
  'legal-hold': {
    available: true,
    runsOn: 'cloud',
    exclusive: true,
    summary:
      "S3 legal-hold flags on every object held accounts' history needs, cleared when no hold needs them",
  },
  // The agents also dump LDAP on their own interval (`ldap.intervalMinutes`); this asks for one now.
  'ldap-dump': {
    available: true,
    runsOn: 'agent',
    summary: 'an LDAP dump now, by each agent named (or all)',
  },
  // Restores accounts at random instants in the cloud, checks every body and item, signs the evidence.
  drill: {
    available: true,
    runsOn: 'cloud',
    summary: 'restore drill: accounts at random instants restored, checked and attested (signed)',
  },
  reconcile: { available: false, runsOn: 'cloud', summary: 'compare S3 with the segment catalog' },
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
  /** Work items (0-based) that fail on every try: proves that a failure ends the operation as failed. */
  failItems: z.array(z.number().int().nonnegative()).max(1000).default([]),
});

export interface Operation {
  readonly id: string;
  readonly kind: OperationKind;
  readonly state: OperationState;
  readonly source: 'api' | 'schedule';
  /** Who asked for it through the control API (the caller's IAM ARN); absent for schedules. */
  readonly requestedBy?: string;
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

/** An operation as the operations table stores it (without its keys and bookkeeping), checked when read. */
export const operationSchema = z.object({
  id: z.string(),
  kind: operationKindSchema,
  state: z.enum(OPERATION_STATES),
  source: z.enum(['api', 'schedule']),
  requestedBy: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  total: z.number(),
  done: z.number(),
  failed: z.number(),
  error: z.string().optional(),
  progress: z.record(z.string(), z.number()).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
}) satisfies z.ZodType<Operation>;

/** Message on the plan queue. */
export const planMessageSchema = z.strictObject({ operationId: z.uuid() });
/** Message on the work queue. */
export const workMessageSchema = z.strictObject({
  operationId: z.uuid(),
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
});
export type WorkMessage = z.output<typeof workMessageSchema>;

const serverId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1–64 of A-Z a-z 0-9 . _ -' });
const name = z.string().min(1).max(320);

/** Parameters of the operations agents run; `servers` picks agents (default: every server in the index). */
export const agentParamsSchemas = {
  smartscan: z.strictObject({
    servers: z.array(serverId).min(1).optional(),
    accounts: z.array(name).default([]),
    domains: z.array(name).default([]),
    /** Rescan unchanged mailboxes too (the planner sets it for a server with a gap bridged and not rescanned). */
    verify: z.boolean().default(false),
    /** Set by the planner for a verifying scan: the mailboxes the index holds (the server may lack some). */
    indexed: z
      .array(z.strictObject({ mailboxId: z.number().int().min(1), accountId: z.string().min(1).max(127) }))
      .max(1_000_000)
      .optional(),
  }),
  'ldap-dump': z.strictObject({
    servers: z.array(serverId).min(1).optional(),
  }),
} as const;
export type AgentKind = keyof typeof agentParamsSchemas;
export const isAgentKind = (kind: OperationKind): kind is AgentKind =>
  OPERATION_KINDS[kind].available && kind in agentParamsSchemas;

/** An agent operation's share for one server, as the agent lists and claims it. */
export interface Dispatch {
  readonly operationId: string;
  readonly kind: AgentKind;
  readonly serverId: string;
  /** The operation's parameters for this server (`servers` left out). */
  readonly params: Record<string, unknown>;
  readonly createdAt: string;
  readonly state: 'pending' | 'claimed';
  readonly claimedAt?: string;
}

/** What an agent reports when its share is over. */
export const dispatchReportSchema = z.strictObject({
  outcome: z.enum(['done', 'failed']),
  error: z.string().max(2000).optional(),
  /** Counters added to the operation's progress (messages scanned, blobs uploaded…). */
  progress: z.record(z.string().regex(/^[a-zA-Z]{1,32}$/), z.number().finite()).default({}),
  /** A short summary kept on the operation under result.servers[serverId]. */
  summary: z.record(z.string(), z.unknown()).default({}),
});
export type DispatchReport = z.output<typeof dispatchReportSchema>;
