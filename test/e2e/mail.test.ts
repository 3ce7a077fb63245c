/**
 * `mailagent mail` against the real API server (no node runs pods here):
 * finding a deployer-made agent, its users and password Secrets, choosing the
 * user, and the faults that need no pod — unknown agent, wrong namespace,
 * unknown user, and an agent whose pod is not Ready, which must say so rather
 * than "no messages". Reading mail is covered on the node (test/node/mail.test.ts)
 * and against the image (test/container/inbox.test.ts).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentNotReadyError, openInbox } from 'local-mail-agent';
import { kubeConfig, kubeconfigPath, kubectlOk, repoPath, run, withNamespace } from './support/cluster.js';

const BIN = repoPath('bin', 'mailagent');
const ns = withNamespace('mail');
const other = withNamespace('mail-other');
const mailagent = (args: string[]) => run(BIN, args, { env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: 90_000 });

describe('mailagent mail without a node', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-mail-'));
    const values = path.join(dir, 'values.yaml');
    writeFileSync(values, 'domain: app.test\nusers:\n  - name: app\n  - name: qa\n    passwordSecretRef: { name: qa-password, key: pw }\n');
    await kubectlOk(['-n', ns.name, 'create', 'secret', 'generic', 'qa-password', '--from-literal=pw=s3cret']);
    const r = await mailagent(['install', 'mail', '-n', ns.name, '-f', values]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  });

  test('an agent whose pod cannot run is reported as not Ready, with the pod\'s state', async () => {
    const r = await mailagent(['mail', 'list', 'mail', '-n', ns.name, '--user', 'qa']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^mailagent mail: mail agent "mail" in namespace "${ns.name}" is not Ready \\((it has no pod|pod mail-[a-z0-9-]+: phase Pending.*)\\); its mailbox cannot be read now\\n$`));
    await expect(openInbox({ agent: 'mail', namespace: ns.name, user: 'app', kubeConfig: kubeConfig() })).rejects.toBeInstanceOf(AgentNotReadyError);
  });

  test('unknown agent, wrong namespace, unknown user, ambiguous user: one line, exit 1', async () => {
    const cases: [string[], string][] = [
      [['mail', 'list', 'nope', '-n', ns.name], `mailagent mail: no mail agent "nope" in namespace "${ns.name}"\n`],
      [['mail', 'wait', 'mail', '-n', other.name], `mailagent mail: no mail agent "mail" in namespace "${other.name}"; there is one in namespace "${ns.name}" (use -n)\n`],
      [['mail', 'list', 'mail', '-n', ns.name, '--user', 'bob'], `mailagent mail: user "bob" is not a user of mail agent "mail" in namespace "${ns.name}"; its users are: app, qa\n`],
      [['mail', 'list', 'mail', '-n', ns.name], 'mailagent mail: mail agent "mail" has 2 users (app, qa) and no catch-all user: choose one with --user\n'],
    ];
    for (const [args, line] of cases) {
      const r = await mailagent(args);
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code: 1, stdout: '', stderr: line });
    }
  });
});
