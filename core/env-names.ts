/** Environment variable names the stack sets on functions and the functions' config reads. One list, both sides. */
export const ENV = {
  indexTable: 'OFFSITE_INDEX_TABLE',
  operationsTable: 'OFFSITE_OPERATIONS_TABLE',
  backupBucket: 'OFFSITE_BACKUP_BUCKET',
  planQueueUrl: 'OFFSITE_PLAN_QUEUE_URL',
  ingestQueueUrl: 'OFFSITE_INGEST_QUEUE_URL',
  /** Where the indexer puts an ingest message it refuses (forged, malformed), with the reason. */
  ingestDeadLetterQueueUrl: 'OFFSITE_INGEST_DLQ_URL',
  /** JSON list of the IAM role ids of offsite's own functions that may queue indexing work (bridge, reindex…). */
  ingestInternalSenders: 'OFFSITE_INGEST_INTERNAL_SENDERS',
  /** JSON map of person role (operator, help-desk, compliance) → the IAM role id people assume for it. */
  personRoleIds: 'OFFSITE_PERSON_ROLE_IDS',
  /** JSON map of server id → the IAM role id of its agent (empty: the deployment names no servers). */
  agentRoleIds: 'OFFSITE_AGENT_ROLE_IDS',
  workQueueUrl: 'OFFSITE_WORK_QUEUE_URL',
  purgeQueueUrl: 'OFFSITE_PURGE_QUEUE_URL',
  auditQueueUrl: 'OFFSITE_AUDIT_QUEUE_URL',
  transferQueueUrl: 'OFFSITE_TRANSFER_QUEUE_URL',
  /** Buckets besides the backup bucket that exports may go to and imports come from (comma-separated). */
  transferBuckets: 'OFFSITE_TRANSFER_BUCKETS',
  /** `on` when the backup bucket has Object Lock: `operations/` objects then carry a short lock of their own. */
  bucketObjectLock: 'OFFSITE_BUCKET_OBJECT_LOCK',
  operationRetentionDays: 'OFFSITE_OPERATION_RETENTION_DAYS',
  operationStallHours: 'OFFSITE_OPERATION_STALL_HOURS',
  operationsTopicArn: 'OFFSITE_OPERATIONS_TOPIC_ARN',
  /** JSON list of the ARNs of the tables exported into the bucket's `index-exports/` (the replica's index). */
  exportedTables: 'OFFSITE_EXPORTED_TABLES',
  /** The key restore drills sign their attestations with: a KMS key ARN, or `file:<path>` in the local cloud. */
  drillSigningKey: 'OFFSITE_DRILL_SIGNING_KEY',
} as const;
