import { s3 } from '#agent/clients/s3.ts';
import { sqs } from '#agent/clients/sqs.ts';
import { loadAgentConfig } from '#agent/config/agent-config.ts';
import type { DoctorCheck } from '#agent/doctor/doctor-check.ts';
import { runDoctor } from '#agent/doctor/run-doctor.ts';
import type { CommandInput } from '#cli/command-spec.ts';
import type { DOCTOR_OPTIONS } from '#cli/specs/setup-group.ts';

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '--  ' };

/** `offsite doctor`: every check, what failed and how to fix it; exit 1 if one failed. */
export async function doctorCommand({ values, write }: CommandInput<typeof DOCTOR_OPTIONS>): Promise<number> {
  const config = loadAgentConfig(values.config);
  const { control } = await import('#agent/clients/control.ts');
  const checks = await runDoctor({
    config,
    s3: s3(config.aws),
    sqs: sqs(config.aws),
    control: control(config),
  });
  const failed = checks.filter((c) => c.status === 'fail').length;
  if (values.json)
    write(`${JSON.stringify({ serverId: config.serverId, ok: failed === 0, checks }, null, 2)}\n`);
  else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      write(`${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}\n`);
      if (c.fix && c.status !== 'ok') write(`      ${' '.repeat(width)}  fix: ${c.fix}\n`);
    }
    write(
      failed === 0 ? `\n${config.serverId}: ready\n` : `\n${config.serverId}: ${failed} check(s) failed\n`,
    );
  }
  return failed === 0 ? 0 : 1;
}
