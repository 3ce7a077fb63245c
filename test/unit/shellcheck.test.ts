/**
 * `npm run lint` shellchecks every shell script (scripts/shellcheck.sh): it
 * finds them by name and by shebang, fails on a finding, and passes the
 * repository's own scripts. shellcheck itself must be installed
 * (`bash docker/host-tools.sh lint`); without it this test fails, loudly.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const script = path.join(process.cwd(), 'scripts/shellcheck.sh');
const runScript = (...args: string[]) => spawnSync('bash', [script, ...args], { encoding: 'utf8' });

describe('scripts/shellcheck.sh (npm run lint)', () => {
  it('is part of npm run lint', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.lint).toContain('bash scripts/shellcheck.sh');
  });

  it('finds the scripts without a .sh name by their shebang: the entrypoint, the readiness probe, CI', () => {
    const list = execFileSync('bash', [script, '--list'], { encoding: 'utf8' }).split('\n');
    expect(list).toEqual(expect.arrayContaining([
      'docker/rootfs/usr/local/bin/mailagent-entrypoint', 'docker/rootfs/usr/local/bin/mailagent-ready', '.ci/run',
      'test/run-all.sh', 'test/cluster/up.sh', 'bench/install-peers.sh', 'scripts/shellcheck.sh',
    ]));
  });

  it('fails on a script with a finding, naming the check', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shellcheck-'));
    const bad = path.join(dir, 'bad.sh');
    writeFileSync(bad, '#!/usr/bin/env bash\ndir=$1\ncd $dir\n');
    const r = runScript(bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/SC2086/);
  });

  it('passes every script of the repository', () => {
    const r = runScript();
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toMatch(/shellcheck\.sh: \d+ scripts checked/);
  });
});
