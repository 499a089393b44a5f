import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ensureLocalSigningKey } from '#local/drill-signing-key.ts';
import type { RunningEmulator } from '#local/emulators/child-emulator.ts';
import { startDynamodbLocal } from '#local/emulators/dynamodb-local.ts';
import { startFauxqs } from '#local/emulators/fauxqs.ts';
import { startMoto } from '#local/emulators/moto.ts';
import { freePort } from '#local/emulators/ports.ts';
import { type Clock, systemClock } from '#local/runtime/clock.ts';
import { putRules, readRules } from '#local/runtime/eventbridge-rules.ts';
import { startFunctionUrl } from '#local/runtime/function-url.ts';
import { LambdaFunction } from '#local/runtime/lambda-function.ts';
import { type Firing, ScheduleRunner } from '#local/runtime/schedules.ts';
import { SqsEventSource } from '#local/runtime/sqs-event-source.ts';
import { synthesize, synthesizeCached } from '#local/template/cloud-assembly.ts';
import type { LocalResources } from '#local/template/local-resources.ts';
import { provision } from '#local/template/provision.ts';

export type Backend = 'fauxqs' | 'moto';

export interface LocalCloudOptions {
  /** fauxqs + DynamoDB Local (fast, default), or moto for everything (versioning, Object Lock, EventBridge). */
  readonly backend: Backend;
  /**
   * moto only: the tables on DynamoDB Local instead of moto's DynamoDB, which answers a lookup in ~1 ms where
   * DynamoDB Local takes ~0.15 ms (benchmarks that need moto's S3 but measure the index). No table backups then.
   */
  readonly tablesOnDynamodbLocal?: boolean;
  /** Where the cloud assembly and function logs go. */
  readonly workDir: string;
  /** Fixed ports; 0 or absent picks free ones. */
  readonly ports?: {
    readonly sqsS3?: number;
    readonly dynamodb?: number;
    readonly moto?: number;
    readonly functionUrl?: number;
  };
  /** CDK context for synthesis, e.g. `{ offsite: { objectLock: { mode: 'GOVERNANCE', days: 1 } } }`. */
  readonly context?: Record<string, unknown>;
  /** Reuse assemblies synthesized for the same context in this directory (tests: one per test run). */
  readonly assemblyCache?: string;
  readonly clock?: Clock;
  readonly retryVisibilitySeconds?: number;
  /** Run the schedule rules (default true). */
  readonly schedules?: boolean;
  readonly logToConsole?: boolean;
  readonly onFiring?: (firing: Firing) => void;
  readonly onEventSourceError?: (mapping: string, error: unknown) => void;
}

export interface Endpoints {
  readonly s3: string;
  readonly sqs: string;
  readonly sns: string;
  readonly dynamodb: string;
  readonly eventbridge?: string;
  /** moto only: fauxqs has no KMS (drills sign with a local key pair there). */
  readonly kms?: string;
}

export const LOCAL_REGION = 'us-east-1';
/** The account id each emulator puts in ARNs (moto's default differs from fauxqs'). */
export const LOCAL_ACCOUNTS: Record<Backend, string> = { fauxqs: '000000000000', moto: '123456789012' };
/**
 * The SenderId each backend's queues report for every message, whoever sent it; locally every role has it as its
 * role id, and every signed function URL caller it as its identity (there is no IAM to tell them apart).
 */
export const LOCAL_SENDER_IDS: Record<Backend, string> = {
  fauxqs: '000000000000',
  moto: 'AIDAIT2UOQQY3AUEKVGXU',
};
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalCloud {
  readonly backend: Backend;
  /** Where the cloud assembly and each function's log (`logs/<logical id>.log`) are. */
  readonly workDir: string;
  readonly endpoints: Endpoints;
  readonly resources: LocalResources;
  readonly functions: ReadonlyMap<string, LambdaFunction>;
  readonly eventSources: readonly SqsEventSource[];
  readonly schedules: ScheduleRunner;
  /** Stack outputs resolved to local values (BackupBucketName, IngestQueueUrl, ControlUrl, ...). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly clients: {
    readonly s3: S3Client;
    readonly sqs: SQSClient;
    readonly sns: SNSClient;
    readonly dynamodb: DynamoDBClient;
  };
  /** The function whose logical id starts with `prefix` (e.g. "Indexer"). */
  functionNamed(prefix: string): LambdaFunction;
  stop(): Promise<void>;
}

/**
 * Brings up the local cloud: emulators on loopback, the real stack synthesized and its buckets, tables and
 * queues created, the bundled functions running behind their real triggers. Everything started is stopped
 * again if any step fails.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    const endpoints = await startEmulators(options, started);
    const clients = {
      s3: new S3Client({
        region: LOCAL_REGION,
        endpoint: endpoints.s3,
        forcePathStyle: true,
        credentials: CREDENTIALS,
      }),
      sqs: new SQSClient({
        region: LOCAL_REGION,
        endpoint: endpoints.sqs,
        credentials: CREDENTIALS,
        useQueueUrlAsEndpoint: false,
      }),
      sns: new SNSClient({ region: LOCAL_REGION, endpoint: endpoints.sns, credentials: CREDENTIALS }),
      dynamodb: new DynamoDBClient({
        region: LOCAL_REGION,
        endpoint: endpoints.dynamodb,
        credentials: CREDENTIALS,
      }),
    };
    const account = LOCAL_ACCOUNTS[options.backend];
    const assembly = options.assemblyCache
      ? await synthesizeCached(options.assemblyCache, options.context)
      : await synthesize(path.join(options.workDir, 'cdk.out'), options.context);
    const urlIds = Object.entries(assembly.template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Url')
      .map(([id]) => id);
    // A fixed port, when asked for, is the control API's (the agents' API gets a free one).
    const urlPorts: number[] = [];
    for (const id of urlIds)
      urlPorts.push(
        id.startsWith('Control') && options.ports?.functionUrl ? options.ports.functionUrl : await freePort(),
      );
    const resources = await provision({
      template: assembly.template,
      assemblyDir: assembly.directory,
      region: LOCAL_REGION,
      account,
      clients: {
        ...clients,
        ...(endpoints.kms
          ? {
              kms: new KMSClient({ region: LOCAL_REGION, endpoint: endpoints.kms, credentials: CREDENTIALS }),
            }
          : {}),
      },
      // Without KMS, drills sign with a key pair kept in the work directory.
      ...(endpoints.kms ? {} : { localSigningKeyFile: ensureLocalSigningKey(options.workDir) }),
      capabilities: {
        bucketControls: options.backend === 'moto',
        tableBackups: options.backend === 'moto' && !options.tablesOnDynamodbLocal,
      },
      senderId: LOCAL_SENDER_IDS[options.backend],
      functionUrlPorts: urlPorts,
      namePrefix: '',
    });

    const logDir = path.join(options.workDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const baseEnv = functionBaseEnv(endpoints);
    const functions = new Map<string, LambdaFunction>();
    for (const definition of resources.functions.values()) {
      const log = functionLog(
        path.join(logDir, `${definition.logicalId}.log`),
        definition.logicalId,
        options.logToConsole,
      );
      const maxInstances = Math.max(
        1,
        ...resources.eventSourceMappings
          .filter((m) => m.functionName === definition.name)
          .map((m) => m.maxConcurrency),
      );
      const fn = new LambdaFunction(definition, {
        baseEnv,
        log: log.stream,
        maxInstances: Math.min(maxInstances, 4),
      });
      functions.set(definition.name, fn);
      started.push({
        stop: async () => {
          await fn.close();
          log.file.end();
        },
      });
    }

    const eventSources = resources.eventSourceMappings.map((mapping) => {
      const fn = functions.get(mapping.functionName);
      if (!fn) throw new Error(`event source ${mapping.logicalId}: function ${mapping.functionName} missing`);
      // Locally at most 4 pollers per mapping: the machine has 2 cores.
      const source = new SqsEventSource(
        { ...mapping, maxConcurrency: Math.min(mapping.maxConcurrency, 4) },
        fn,
        clients.sqs,
        {
          region: LOCAL_REGION,
          retryVisibilitySeconds: options.retryVisibilitySeconds,
          onError: (m, error) => options.onEventSourceError?.(m.logicalId, error),
        },
      );
      source.start();
      started.push(source);
      return source;
    });

    for (const [i, url] of resources.functionUrls.entries()) {
      const fn = functions.get(url.functionName);
      const port = urlPorts[i];
      if (!fn || port === undefined) continue;
      const server = await startFunctionUrl(fn, {
        port,
        authType: url.authType,
        region: LOCAL_REGION,
        account,
        callerId: LOCAL_SENDER_IDS[options.backend],
      });
      started.push({ stop: server.close });
    }

    let rules = resources.rules;
    if (endpoints.eventbridge) {
      const events = new EventBridgeClient({
        region: LOCAL_REGION,
        endpoint: endpoints.eventbridge,
        credentials: CREDENTIALS,
      });
      await putRules(events, rules, resources.functions);
      rules = await readRules(events, resources.functions, LOCAL_REGION, account);
    }
    const schedules = new ScheduleRunner(rules, functions, options.clock ?? systemClock, {
      region: LOCAL_REGION,
      account,
      onFiring: options.onFiring,
    });
    if (options.schedules !== false) schedules.start();
    started.push(schedules);

    return {
      backend: options.backend,
      workDir: options.workDir,
      endpoints,
      resources,
      functions,
      eventSources,
      schedules,
      outputs: resources.outputs,
      clients,
      functionNamed(prefix: string) {
        const fn = [...functions.values()].find((f) => f.definition.logicalId.startsWith(prefix));
        if (!fn) throw new Error(`no function whose logical id starts with ${prefix}`);
        return fn;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startEmulators(
  options: LocalCloudOptions,
  started: { stop(): Promise<void> }[],
): Promise<Endpoints> {
  const track = (emulator: RunningEmulator) => {
    started.push(emulator);
    return emulator.endpoint;
  };
  if (options.backend === 'moto') {
    const endpoint = track(await startMoto(options.ports?.moto || (await freePort())));
    const tables = options.tablesOnDynamodbLocal
      ? track(await startDynamodbLocal(options.ports?.dynamodb || (await freePort())))
      : endpoint;
    return {
      s3: endpoint,
      sqs: endpoint,
      sns: endpoint,
      dynamodb: tables,
      eventbridge: endpoint,
      kms: endpoint,
    };
  }
  const [fauxqs, dynamodb] = await Promise.allSettled([
    startFauxqs(options.ports?.sqsS3 ?? 0),
    (async () => startDynamodbLocal(options.ports?.dynamodb || (await freePort())))(),
  ]);
  if (fauxqs.status === 'fulfilled') track(fauxqs.value);
  if (dynamodb.status === 'fulfilled') track(dynamodb.value);
  if (fauxqs.status === 'rejected') throw fauxqs.reason;
  if (dynamodb.status === 'rejected') throw dynamodb.reason;
  return {
    s3: fauxqs.value.endpoint,
    sqs: fauxqs.value.endpoint,
    sns: fauxqs.value.endpoint,
    dynamodb: dynamodb.value.endpoint,
  };
}

/** What every local execution environment sees besides the function's own variables: endpoints only. */
function functionBaseEnv(endpoints: Endpoints): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    TZ: 'UTC',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.eventbridge ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge } : {}),
    ...(endpoints.kms ? { AWS_ENDPOINT_URL_KMS: endpoints.kms } : {}),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    // No X-Ray daemon locally.
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

function functionLog(
  file: string,
  name: string,
  toConsole: boolean | undefined,
): { stream: PassThrough; file: WriteStream } {
  const stream = new PassThrough();
  const out = createWriteStream(file, { flags: 'a' });
  stream.pipe(out);
  if (toConsole) {
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  return { stream, file: out };
}
