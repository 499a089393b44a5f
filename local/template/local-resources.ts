/** What the local runtime needs to know about the template's functions and their triggers. */
export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the bundled code directory (the deployed asset). */
  readonly codeDir: string;
  /** `file.export`, as in the Lambda Handler property. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface LocalEventSourceMapping {
  readonly logicalId: string;
  readonly functionName: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly fifo: boolean;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxConcurrency: number;
  readonly enabled: boolean;
}

export interface LocalScheduleRule {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly scheduleExpression: string;
  readonly enabled: boolean;
  readonly targets: readonly { readonly functionName: string; readonly retryAttempts: number }[];
}

export interface LocalFunctionUrl {
  readonly logicalId: string;
  readonly functionName: string;
  readonly authType: string;
}

export interface LocalQueue {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface LocalResources {
  readonly buckets: ReadonlyMap<string, string>;
  readonly tables: ReadonlyMap<string, string>;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly eventSourceMappings: readonly LocalEventSourceMapping[];
  readonly rules: readonly LocalScheduleRule[];
  readonly functionUrls: readonly LocalFunctionUrl[];
  /** The stack outputs, resolved to local values. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Resource types present in the template that are accepted but not emulated (IAM, KMS, alarms...). */
  readonly notEmulated: readonly string[];
}
