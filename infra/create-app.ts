import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseStackConfig } from '#core/stack-config.ts';
import { OffsiteStack } from '#infra/offsite-stack.ts';

import { STACK_NAME } from '#infra/stack-name.ts';

export { STACK_NAME };

/**
 * The feature flags `cdk.json` sets: the local cloud and the tests synthesize with them too, so the template
 * they check is the one `cdk deploy` deploys (the offsite configuration itself is the caller's).
 */
function featureFlags(): Record<string, unknown> {
  const file = path.join(import.meta.dirname, '..', 'cdk.json');
  const { context = {} } = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(context).filter(([key]) => key.startsWith('@aws-cdk/')));
}

/** The CDK app: one stack, checked by cdk-nag's AwsSolutions pack; the context key `offsite` configures it. */
export function createApp(props: AppProps = {}): { app: App; stack: OffsiteStack } {
  const app = new App({ ...props, context: { ...featureFlags(), ...props.context } });
  const config = parseStackConfig(app.node.tryGetContext('offsite'));
  const stack = new OffsiteStack(app, STACK_NAME, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
