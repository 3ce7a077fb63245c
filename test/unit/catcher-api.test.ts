/**
 * Issue 12 (items 1, 5) and issue 13 in the API, the constructs and the
 * rules file the image shares with them.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Testing } from 'cdk8s';
import {
  DOMAIN_PATTERN, IMAGE_RULES_PATH, PASSWORD_MAX_BYTES, RESERVED_USER_NAMES, USER_NAME_PATTERN, ValidationError,
  imageRules, quantityBytes, renderImageRules, resolveSpec, validateSpec,
} from '../../src/api/index.js';
import type { FieldError, MailAgentSpec } from '../../src/api/index.js';
import { MailAgentChart, renderAgentConf } from '../../src/constructs/index.js';
import { InputProblem, resolveClusterInputs } from '../../src/render/cluster-inputs.js';

type Obj = Record<string, any>;
const spec = (extra: Partial<MailAgentSpec> = {}): MailAgentSpec => ({ domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'qa' }], ...extra });

function errorsOf(s: unknown): FieldError[] {
  try {
    validateSpec(s);
  } catch (err) {
    if (err instanceof ValidationError) return [...err.errors];
    throw err;
  }
  return [];
}

describe('domains the image refuses are refused by the API too', () => {
  it.each(['pouet.123', '10.0.0.1', 'a.b.4'])('rejects %j (last label all digits)', (domain) => {
    expect(errorsOf(spec({ domain }))).toEqual([{ path: 'spec.domain', message: expect.stringMatching(/last one starting with a letter/) as unknown }]);
  });
  it.each(['pouet.com', '1.pouet.com', 'x1.y2', '123.example'])('accepts %j', (domain) => {
    expect(errorsOf(spec({ domain }))).toEqual([]);
  });
});

describe('the image rules file is generated from src/api', () => {
  it('is up to date (run `npm run crd` when this fails)', () => {
    expect(readFileSync(IMAGE_RULES_PATH, 'utf8')).toBe(renderImageRules());
  });

  it('holds the reserved names and the password limit of src/api', () => {
    expect(imageRules().RULE_RESERVED_USER_NAMES).toBe(RESERVED_USER_NAMES.join(' '));
    expect(RESERVED_USER_NAMES).toContain('administrator');
    expect(imageRules().RULE_PASSWORD_MAX_BYTES).toBe(PASSWORD_MAX_BYTES);
  });

  /** What bash's =~ (the entrypoint's matcher) says about each value, with the generated patterns. */
  function bashMatches(pattern: string, values: string[]): boolean[] {
    const r = spawnSync('bash', ['-c', 'p=$1; shift; for v; do if [[ $v =~ $p ]]; then echo 1; else echo 0; fi; done', '-', pattern, ...values],
      { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bash failed: ${r.stderr}`);
    return r.stdout.trim().split('\n').map((l) => l === '1');
  }

  const DOMAINS = ['pouet.com', 'pouet.123', 'a..b', 'Pouet.com', '-x.com', 'x-.com', 'localhost', 'a.b-c.d1', '10.0.0.1',
    'x1.y2', `${'a'.repeat(63)}.com`, `${'a'.repeat(64)}.com`, 'é.com', 'a_b.com', 'pouet.com.', '.pouet.com'];
  const NAMES = ['toto', 'Toto', '1abc', 'a.b_c-d', 'a:b', 'x'.repeat(32), 'x'.repeat(33), 'é', 'a b', ''];

  it('bash and JavaScript agree on domains and user names', () => {
    const rules = imageRules();
    expect(bashMatches(String(rules.RULE_DOMAIN_PATTERN), DOMAINS)).toEqual(DOMAINS.map((d) => new RegExp(DOMAIN_PATTERN).test(d)));
    expect(bashMatches(String(rules.RULE_USER_NAME_PATTERN), NAMES)).toEqual(NAMES.map((n) => new RegExp(USER_NAME_PATTERN).test(n)));
  });
});

describe('catchAll, limits, faults', () => {
  it('accepts a catcher spec and resolves it to agent.conf lines', () => {
    const s = spec({ catchAll: { user: 'qa', domains: ['example.org', '*.test'] }, limits: { messageSize: '5Mi', mailboxSize: '64Mi', connectionsPerHost: 10, recipientsPerMessage: 50 }, faults: { enabled: true } });
    expect(errorsOf(s)).toEqual([]);
    const conf = renderAgentConf(resolveSpec(s));
    expect(conf).toContain('submission_port=5587\n');
    expect(conf).toContain('catch_all=qa\ncatch_all_domains=example.org *.test\n');
    expect(conf).toContain(`message_size=${5 * 2 ** 20}\nmailbox_size=${64 * 2 ** 20}\nmax_connections_per_host=10\nmax_recipients=50\nfaults=true\n`);
  });

  it('defaults: 10Mi messages, a mailbox quota of the mail volume, 20 connections, 100 recipients, no catch-all, no faults', () => {
    const conf = renderAgentConf(resolveSpec(spec()));
    expect(conf).not.toContain('catch_all');
    expect(conf).toContain(`message_size=${10 * 2 ** 20}\nmailbox_size=${128 * 2 ** 20}\nmax_connections_per_host=20\nmax_recipients=100\nfaults=false\n`);
    const persistent = renderAgentConf(resolveSpec(spec({ storage: { persistent: true, size: '2Gi' } })));
    expect(persistent).toContain(`mailbox_size=${2 * 2 ** 30}\n`);
  });

  it('catchAll.user must be one of the users', () => {
    expect(errorsOf(spec({ catchAll: { user: 'nobody' } }))).toEqual([
      { path: 'spec.catchAll.user', message: expect.stringMatching(/must be one of spec.users/) as unknown }]);
  });

  it.each(['Example.org', 'example.org.', '*', '*.', 'a.*.test', '10.0.0.1'])('rejects catchAll.domains entry %j', (d) => {
    expect(errorsOf(spec({ catchAll: { user: 'qa', domains: [d] } }))[0]?.path).toBe('spec.catchAll.domains[0]');
  });

  it('messageSize must fit the queue volume', () => {
    expect(errorsOf(spec({ limits: { messageSize: '30Mi' } }))).toEqual([]);
    expect(errorsOf(spec({ limits: { messageSize: '31Mi' } }))).toEqual([
      { path: 'spec.limits.messageSize', message: expect.stringMatching(/must fit the queue volume/) as unknown }]);
    expect(errorsOf(spec({ limits: { messageSize: '100Mi' }, storage: { persistent: true } }))).toEqual([]);
    expect(errorsOf(spec({ limits: { messageSize: '3Gi' }, storage: { persistent: true, size: '2Gi' } }))[0]?.path).toBe('spec.limits.messageSize');
  });

  it('with faults on, no user may be named like a fault address', () => {
    expect(errorsOf(spec({ users: [{ name: 'drop' }] }))).toEqual([]);
    expect(errorsOf(spec({ users: [{ name: 'drop' }], faults: { enabled: true } }))).toEqual([
      { path: 'spec.users', message: expect.stringMatching(/fail-5NN/) as unknown }]);
  });

  it('bounds connectionsPerHost and recipientsPerMessage', () => {
    expect(errorsOf(spec({ limits: { connectionsPerHost: 0 } }))[0]?.path).toBe('spec.limits.connectionsPerHost');
    expect(errorsOf(spec({ limits: { recipientsPerMessage: 100000 } }))[0]?.path).toBe('spec.limits.recipientsPerMessage');
  });

  it('quantityBytes reads the quantities the schema allows', () => {
    expect(quantityBytes('10Mi')).toBe(10485760);
    expect(quantityBytes('1G')).toBe(1e9);
    expect(quantityBytes('1.5Ki')).toBe(1536);
    expect(quantityBytes('x')).toBeNaN();
  });
});

describe('the pod never waits on DNS, and serves submission', () => {
  const resolved = resolveSpec(spec({ service: { type: 'NodePort', nodePorts: { submission: 30587 } } }));
  const objs = Testing.synth(new MailAgentChart(Testing.app(), 'test', {
    name: 'pouet', namespace: 'ns1', spec: resolved,
    generatedPasswords: { toto: 'a', qa: 'b' }, generatedTls: { cert: 'C', key: 'K', ca: 'A' },
  })) as Obj[];
  const pod = objs.find((o) => o.kind === 'Deployment')!.spec.template.spec as Obj;

  it('points the resolver at a closed local port, with no search domains', () => {
    expect(pod.dnsPolicy).toBe('None');
    expect(pod.dnsConfig.nameservers).toEqual(['127.0.0.1']);
    expect(pod.dnsConfig.searches).toEqual([]);
    expect(pod.dnsConfig.options).toEqual(expect.arrayContaining([{ name: 'attempts', value: '1' }]));
  });

  it('exposes 587 on the Service with its node port, 5587 in the container', () => {
    const svc = objs.find((o) => o.kind === 'Service')!;
    expect(svc.spec.ports.find((p: Obj) => p.name === 'submission')).toEqual({
      name: 'submission', port: 587, targetPort: 'submission', protocol: 'TCP', nodePort: 30587,
    });
    expect(pod.containers[0].ports).toContainEqual({ name: 'submission', containerPort: 5587, protocol: 'TCP' });
  });
});

describe('referenced passwords longer than the image takes', () => {
  const secret = (pw: string) => ({ metadata: { resourceVersion: '1' }, data: { pw: Buffer.from(pw).toString('base64') } });
  const s = resolveSpec({ domain: 'pouet.com', users: [{ name: 'toto', passwordSecretRef: { name: 'pws', key: 'pw' } }] });
  const read = (pw: string) => (_ns: string, name: string) => Promise.resolve(name === 'pws' ? secret(pw) : undefined);

  it(`takes ${PASSWORD_MAX_BYTES} bytes (multi-byte characters counted as bytes)`, async () => {
    await expect(resolveClusterInputs(read('é'.repeat(PASSWORD_MAX_BYTES / 2)), 'pouet', 'ns1', s)).resolves.toBeDefined();
  });

  it('refuses one byte more with PasswordInvalid, naming the Secret, key, user and length', async () => {
    const err = await resolveClusterInputs(read(`${'é'.repeat(PASSWORD_MAX_BYTES / 2)}x`), 'pouet', 'ns1', s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputProblem);
    expect((err as InputProblem).reason).toBe('PasswordInvalid');
    expect((err as InputProblem).message).toBe(
      `spec.users[0].passwordSecretRef: Secret ns1/pws key "pw": the password of toto is ${PASSWORD_MAX_BYTES + 1} bytes long; store one of at most ${PASSWORD_MAX_BYTES} bytes`);
  });
});
