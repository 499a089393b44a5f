import { controlClientFrom, regionFrom, s3ClientFrom } from '#cli/cli-clients.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import { startConsole } from '#cli/console/console-server.ts';
import { readRestoreReport } from '#cli/restore-report.ts';
import type { CONSOLE_OPTIONS } from '#cli/specs/console-command-spec.ts';
import { OffsiteError } from '#core/errors.ts';

/** `offsite console`: serves the page until Ctrl-C (or SIGTERM). */
export async function consoleCommand({
  values,
  write,
  error,
  env,
}: CommandInput<typeof CONSOLE_OPTIONS>): Promise<number> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new OffsiteError(`--port takes a port number (0: any free one), not ${values.port}`);
  const region = regionFrom(values.region, env);
  const control = await controlClientFrom(values.url, region, env);
  const bucket = values.bucket ?? env.OFFSITE_BUCKET;
  const s3 = bucket ? s3ClientFrom(region, env) : undefined;
  const readReport = bucket && s3 ? (id: string) => readRestoreReport(s3, bucket, id) : undefined;
  const running = await startConsole({ control, ...(readReport ? { readReport } : {}), port });
  if (values.json) write(`${JSON.stringify({ url: running.url })}\n`);
  else
    write(
      `offsite console: ${running.url}\n  open it in a browser on this machine; it acts with your AWS identity. Ctrl-C stops it.\n`,
    );
  if (!bucket) error('no --bucket (or OFFSITE_BUCKET): restore reports cannot be shown\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return 0;
}
