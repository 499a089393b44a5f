import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { bashCompletion } from '#cli/completion-script.ts';
import { OFFSITE_COMMAND } from '#cli/specs/offsite-command.ts';

const script = bashCompletion(OFFSITE_COMMAND);

/** What bash completes for the words typed so far (the last one being completed), with the script loaded. */
function complete(...typed: string[]): string[] {
  const words = ['offsite', ...typed];
  const run = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _offsite; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.split('\n').filter(Boolean);
}

describe('bash completion from the command registry', () => {
  it('completes commands, then subcommands, then the options of the command typed', () => {
    assert.ok(complete('').includes('restore'));
    assert.deepEqual(complete('res'), ['restore']);
    assert.deepEqual(complete('restore', 'ap'), ['apply']);
    const options = complete('restore', 'apply', '--');
    assert.ok(options.includes('--from-dir') && options.includes('--resolve') && options.includes('--help'));
    assert.ok(!options.includes('--skip-deletes'), 'only the options of restore apply');
  });

  it('skips option values and operands when finding the command typed', () => {
    assert.deepEqual(complete('search', 'alice@example.com', '--at', 'now', '--sub'), ['--subject']);
  });

  it('completes the accepted values of an option that has a fixed set', () => {
    assert.deepEqual(complete('ops', 'list', '--state', 'f'), ['failed']);
    assert.deepEqual(complete('search', 'alice', '--type', 'app'), ['appointment']);
  });
});
