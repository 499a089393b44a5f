import { TIME_FORMATS } from '#core/parse-time.ts';

/** Every command that talks to the control API. */
export const CONTROL_OPTIONS = {
  json: { type: 'boolean', help: 'print the result as JSON (a stable shape, for scripts)' },
  url: {
    type: 'string',
    value: 'URL',
    help: 'the control API (default: $OFFSITE_CONTROL_URL, the stack output ControlUrl)',
  },
  region: { type: 'string', value: 'REGION', help: 'the AWS region (default: $AWS_REGION, then us-east-1)' },
} as const;

export const TZ_OPTION = {
  tz: {
    type: 'string',
    value: 'ZONE',
    help: 'the IANA zone of times given without an offset (default: UTC)',
  },
} as const;

export const BUCKET_OPTION = {
  bucket: {
    type: 'string',
    value: 'NAME',
    help: 'the backup bucket, read directly (default: $OFFSITE_BUCKET, the stack output BackupBucketName)',
  },
} as const;

export const DEFAULT_AGENT_CONFIG = '/etc/offsite/agent.json';

export const CONFIG_OPTION = {
  config: {
    type: 'string',
    value: 'FILE',
    default: DEFAULT_AGENT_CONFIG,
    help: "the agent's configuration (see agent/systemd/agent.example.json)",
  },
} as const;

/** Shown under every command that takes a TIME. */
export const TIME_HELP = `TIME: ${TIME_FORMATS}; without an offset it is read in --tz (default UTC).`;

/** Which accounts an operation takes, besides the ones named: restores and exports. */
export const SELECTION_OPTIONS = {
  domain: { type: 'string', value: 'DOMAIN', multiple: true, help: "a domain's accounts (repeatable)" },
  all: { type: 'boolean', help: 'every account' },
  server: { type: 'string', value: 'ID', help: 'only accounts of this server' },
} as const;
