import { ValidationError } from '#core/errors.ts';
import { createApp } from '#infra/create-app.ts';

try {
  createApp().app.synth();
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
