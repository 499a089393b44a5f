import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseStackConfig } from '#infra/config.ts';
import { OffsiteStack } from '#infra/offsite-stack.ts';

export const STACK_NAME = 'Offsite';

/** The CDK app: one stack, checked by cdk-nag's AwsSolutions pack; the context key `offsite` configures it. */
export function createApp(props: AppProps = {}): { app: App; stack: OffsiteStack } {
  const app = new App(props);
  const config = parseStackConfig(app.node.tryGetContext('offsite'));
  const stack = new OffsiteStack(app, STACK_NAME, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
