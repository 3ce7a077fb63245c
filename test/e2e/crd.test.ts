/**
 * The MailAgent CRD against a real API server: it installs and becomes
 * Established, accepts the demo MailAgent, rejects bad ones with the messages
 * written in crds/mailagent.yaml, serves descriptions to `kubectl explain` and
 * printer columns to `kubectl get`, and MailAgents own objects the garbage
 * collector really cleans up.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  MAILAGENT_CRD_NAME, installMailAgentCrd, k8s, kubeConfig, kubectl, kubectlOk, repoPath, run, waitFor,
  withNamespace,
} from './support/cluster.js';
import type { ValidationError } from '../../src/api/errors.js';
import { validateSpec } from '../../src/api/validate.js';

const GROUP = 'localmail.dev';
const VERSION = 'v1alpha1';
const PLURAL = 'mailagents';

type Json = any;

/** What the tests expect from the API server, read from the checked-in CRD. */
function crdFacts() {
  const crd: Json = parse(readFileSync(repoPath('crds', 'mailagent.yaml'), 'utf8'));
  const version: Json = crd.spec.versions.find((v: Json) => v.name === VERSION);
  const root: Json = version.schema.openAPIV3Schema;
  const spec: Json = root.properties.spec;
  const users: Json = spec.properties.users;
  const userName: Json = users.items.properties.name;
  const only = (rules: Json[] | undefined, what: string): string => {
    if (!rules || rules.length !== 1) throw new Error(`expected one x-kubernetes-validations rule on ${what}`);
    return rules[0].message as string;
  };
  return {
    crd,
    domainPattern: spec.properties.domain.pattern as string,
    domainDescription: spec.properties.domain.description as string,
    usersDescription: users.description as string,
    userNamePattern: userName.pattern as string,
    nameMessage: only(root['x-kubernetes-validations'].filter((r: Json) => r.rule.includes('metadata.name.matches')), 'the MailAgent (metadata.name)'),
    columns: (version.additionalPrinterColumns as Json[])
      .filter((c) => !c.priority)
      .map((c) => ({ name: c.name as string, jsonPath: c.jsonPath as string })),
  };
}

const facts = crdFacts();

function mailAgent(name: string, spec: Json): string {
  return JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'MailAgent', metadata: { name }, spec });
}

/** Collapses whitespace (kubectl wraps long lines). */
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

describe('MailAgent CRD on a real API server', () => {
  const ns = withNamespace('crd');
  const objects = () => kubeConfig().makeApiClient(k8s.CustomObjectsApi);

  beforeAll(async () => {
    await installMailAgentCrd();
  });

  test('the CRD applies and becomes Established with its names accepted', async () => {
    // Applying again is a no-op (idempotent install).
    await installMailAgentCrd();
    const crd: Json = JSON.parse(await kubectlOk(['get', 'crd', MAILAGENT_CRD_NAME, '-o', 'json']));
    const cond = (type: string) => crd.status.conditions.find((c: Json) => c.type === type)?.status;
    expect(cond('Established')).toBe('True');
    expect(cond('NamesAccepted')).toBe('True');
    expect(crd.status.acceptedNames.kind).toBe('MailAgent');
    expect(crd.spec.versions.map((v: Json) => v.name)).toEqual([VERSION]);
  });

  test('a valid MailAgent is accepted', async () => {
    const r = await kubectl(['-n', ns.name, 'apply', '--validate=strict', '-f', '-'], {
      input: mailAgent('pouet', { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }] }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mailagent.localmail.dev/pouet created');

    const got: Json = await objects().getNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: ns.name, plural: PLURAL, name: 'pouet',
    });
    expect(got.spec.domain).toBe('pouet.com');
    expect(got.spec.users.map((u: Json) => u.name)).toEqual(['toto', 'tutu']);
  });

  describe('invalid MailAgents are rejected by the API server with the CRD message', () => {
    let n = 0;
    async function rejected(spec: Json, name = `bad-${++n}`): Promise<string> {
      const r = await kubectl(['-n', ns.name, 'create', '-f', '-'], { input: mailAgent(name, spec) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`The MailAgent "${name}" is invalid`);
      // Nothing was stored.
      expect((await kubectl(['-n', ns.name, 'get', 'mailagent', name])).code).not.toBe(0);
      return r.stderr;
    }

    test.each(['Pouet.com', '-x.com', 'a..b'])('bad domain %j', async (domain) => {
      const err = await rejected({ domain, users: [{ name: 'toto' }] });
      expect(err).toContain(`spec.domain: Invalid value: ${JSON.stringify(domain)}`);
      expect(err).toContain(`should match '${facts.domainPattern}'`);
    });

    test.each(['Root', 'a:b'])('user name %j does not match the pattern', async (user) => {
      const err = await rejected({ domain: 'pouet.com', users: [{ name: 'toto' }, { name: user }] });
      expect(err).toContain(`spec.users[1].name: Invalid value: ${JSON.stringify(user)}`);
      expect(err).toContain(`should match '${facts.userNamePattern}'`);
    });

    // The messages name the value (the API server echoes a string itself, and evaluates the
    // duplicate rule's messageExpression), in the same text as the offline validator's.
    const offline = (spec: Json): string => {
      try { validateSpec(spec); } catch (e) { return (e as ValidationError).errors.map((x) => x.message).join('\n'); }
      throw new Error('the offline validator accepted it');
    };

    test.each(['root', 'postmaster', 'administrator'])('reserved user name %j: the message echoes it', async (user) => {
      const spec = { domain: 'pouet.com', users: [{ name: 'toto' }, { name: user }] };
      const err = squash(await rejected(spec));
      expect(err).toContain(`spec.users[1].name: Invalid value: "${user}": is a reserved system or role account name; choose another user name`);
      expect(err).toContain(offline(spec));
    });

    test('duplicate user names: the message names the duplicate', async () => {
      const spec = { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }, { name: 'zaza' }, { name: 'tutu' }] };
      const err = squash(await rejected(spec));
      expect(err).toContain('spec.users: Invalid value: user name "tutu" appears more than once; user names must be unique; remove or rename the duplicate user');
      expect(err).toContain(offline(spec));
    });

    test('a name too long to prefix the owned objects', async () => {
      const err = await rejected({ domain: 'pouet.com', users: [{ name: 'toto' }] }, `a${'b'.repeat(40)}`);
      expect(err).toContain(facts.nameMessage);
    });

    test.each(['pouet.123', '10.0.0.1'])('domain %j whose last label is all digits (the image refuses it)', async (domain) => {
      const err = await rejected({ domain, users: [{ name: 'toto' }] });
      expect(err).toContain(`spec.domain: Invalid value: ${JSON.stringify(domain)}`);
    });

    test('catchAll.user that is not one of the users', async () => {
      const err = await rejected({ domain: 'pouet.com', users: [{ name: 'toto' }], catchAll: { user: 'qa' } });
      expect(err).toContain('spec.catchAll.user');
      expect(err).toContain('catchAll.user must be one of spec.users');
    });

    test('limits.messageSize larger than the memory-backed queue (CEL quantity())', async () => {
      const err = await rejected({ domain: 'pouet.com', users: [{ name: 'toto' }], limits: { messageSize: '31Mi' } });
      expect(err).toContain('spec.limits.messageSize');
      expect(err).toContain('must fit the queue volume');
    });

    test('a user named like a fault address while faults are on', async () => {
      const err = await rejected({ domain: 'pouet.com', users: [{ name: 'drop' }], faults: { enabled: true } });
      expect(err).toContain('no user may be named drop');
    });

    test('the client library sees a 422 with the same message', async () => {
      const e: unknown = await objects().createNamespacedCustomObject({
        group: GROUP, version: VERSION, namespace: ns.name, plural: PLURAL,
        body: JSON.parse(mailAgent('bad-client', { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'toto' }] })),
      }).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(k8s.ApiException);
      const ex = e as k8s.ApiException<string>;
      expect(ex.code).toBe(422);
      expect(ex.body).toContain('user name \\"toto\\" appears more than once');
    });
  });

  describe('unknown fields are rejected under strict field validation', () => {
    const withUnknown = (name: string) => mailAgent(name, { domain: 'pouet.com', users: [{ name: 'toto' }], colour: 'blue' });

    test('kubectl apply --validate=strict', async () => {
      const r = await kubectl(['-n', ns.name, 'apply', '--validate=strict', '-f', '-'], { input: withUnknown('unknown-csa') });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('unknown field "spec.colour"');
    });

    test('server-side apply with fieldValidation=Strict', async () => {
      const r = await kubectl(
        ['-n', ns.name, 'apply', '--server-side', '--field-manager=e2e', '--validate=strict', '-f', '-'],
        { input: withUnknown('unknown-ssa') },
      );
      expect(r.code).not.toBe(0);
      // The apply path reports it as a field missing from the schema.
      expect(r.stderr).toMatch(/\.?spec\.colour: field not declared in schema|unknown field "spec\.colour"/);
    });

    test('create through the client library with fieldValidation Strict', async () => {
      const e: unknown = await objects().createNamespacedCustomObject({
        group: GROUP, version: VERSION, namespace: ns.name, plural: PLURAL, fieldValidation: 'Strict',
        body: JSON.parse(withUnknown('unknown-client')),
      }).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(k8s.ApiException);
      expect((e as k8s.ApiException<string>).code).toBe(400);
      expect((e as k8s.ApiException<string>).body).toContain('unknown field \\"spec.colour\\"');
    });

    test('and nothing was stored', async () => {
      const out = await kubectlOk(['-n', ns.name, 'get', 'mailagents', '-o', 'name']);
      expect(out).not.toMatch(/unknown-/);
    });
  });

  test('`mailagent synth | kubectl apply --dry-run=server -f -` succeeds', async () => {
    const synth = await run(repoPath('bin', 'mailagent'), ['synth']);
    expect(synth.stderr).toBe('');
    expect(synth.code).toBe(0);
    expect(synth.stdout).toMatch(/^kind: /m);
    const r = await kubectl(['-n', ns.name, 'apply', '--dry-run=server', '--validate=strict', '-f', '-'], {
      input: synth.stdout,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const docs = synth.stdout.split(/^---$/m).filter((d) => /^kind: /m.test(d)).length;
    expect(r.stdout.match(/\(server dry run\)/g)?.length).toBe(docs);
  });

  test('a catcher (catchAll, limits, faults, submission node port) is accepted, with a messageSize that fits', async () => {
    const r = await kubectl(['-n', ns.name, 'apply', '--validate=strict', '-f', '-'], {
      input: mailAgent('catcher', {
        domain: 'pouet.com', users: [{ name: 'qa' }],
        catchAll: { user: 'qa', domains: ['example.org', '*.test'] },
        limits: { messageSize: '30Mi', mailboxSize: '64Mi', connectionsPerHost: 10, recipientsPerMessage: 50 },
        faults: { enabled: true },
        service: { type: 'NodePort', nodePorts: { submission: 30587 } },
      }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('kubectl explain mailagent.spec.catchAll shows the per-branch recipe', async () => {
    const out = squash(await waitFor(async () => {
      const r = await kubectl(['explain', 'mailagent.spec.catchAll']);
      return r.code === 0 ? r.stdout : '';
    }, 30_000, '`kubectl explain mailagent.spec.catchAll`'));
    expect(out).toContain('smtp://NAME.NAMESPACE.svc:587');
    expect(out).toContain('user <string> -required-');
  });

  test('kubectl explain shows the field descriptions', async () => {
    // The OpenAPI document is published shortly after the CRD is Established.
    const out = await waitFor(async () => {
      const r = await kubectl(['explain', 'mailagent.spec']);
      return r.code === 0 && squash(r.stdout).includes(squash(facts.domainDescription)) ? r.stdout : '';
    }, 30_000, '`kubectl explain mailagent.spec` to show the descriptions');
    const text = squash(out);
    expect(facts.domainDescription.length).toBeGreaterThan(10);
    expect(facts.usersDescription.length).toBeGreaterThan(10);
    expect(text).toContain(`GROUP: ${GROUP}`);
    expect(text).toContain(`domain <string> -required- ${squash(facts.domainDescription)}`);
    expect(text).toContain(`users <[]Object> -required- ${squash(facts.usersDescription)}`);

    const domain = squash(await kubectlOk(['explain', 'mailagent.spec.domain']));
    expect(domain).toContain(squash(facts.domainDescription));
  });

  test('kubectl get mailagents shows DOMAIN, USERS, READY and AGE', async () => {
    expect(facts.columns.map((c) => c.name)).toEqual(['Domain', 'Users', 'Ready', 'Age']);
    // Without an operator here, write the status the Users and Ready columns read.
    const usersPath = facts.columns.find((c) => c.name === 'Users')!.jsonPath;
    const status: Json = {
      conditions: [{
        type: 'Ready', status: 'True', reason: 'E2E', message: 'set by the e2e test',
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      }],
    };
    const statusField = /^\.status\.([A-Za-z]+)$/.exec(usersPath)?.[1];
    if (statusField) status[statusField] = 2;
    await kubectlOk(['-n', ns.name, 'patch', 'mailagent', 'pouet', '--subresource=status', '--type=merge',
      '-p', JSON.stringify({ status })]);

    const out = await kubectlOk(['-n', ns.name, 'get', 'mailagents']);
    const [header, ...rows] = out.trimEnd().split('\n');
    expect(header!.trim().split(/\s+/)).toEqual(['NAME', 'DOMAIN', 'USERS', 'READY', 'AGE']);
    // Cells by the header's column offsets (an empty cell is blank, not skipped).
    const starts = [...header!.matchAll(/\S+/g)].map((m) => m.index);
    const cells = (line: string) => starts.map((st, i) => line.slice(st, starts[i + 1]).trim());
    const row = rows.map(cells).find((c) => c[0] === 'pouet');
    expect(row).toBeDefined();
    const [, domain, users, ready, age] = row!;
    expect(domain).toBe('pouet.com');
    if (statusField) expect(users).toBe('2');
    else expect(users).toMatch(/toto/);
    expect(ready).toBe('True');
    expect(age).toMatch(/^\d+[smhd]/);
    // The short name and the "mail" category work too.
    expect(await kubectlOk(['-n', ns.name, 'get', 'ma', '-o', 'name'])).toContain('mailagent.localmail.dev/pouet');
    expect(await kubectlOk(['-n', ns.name, 'get', 'mail', '-o', 'name'])).toContain('mailagent.localmail.dev/pouet');
  });

  test('objects owned by a MailAgent are garbage-collected when it is deleted', async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    await kubectlOk(['-n', ns.name, 'apply', '-f', '-'], {
      input: mailAgent('owner', { domain: 'owner.test', users: [{ name: 'toto' }] }),
    });
    const owner: Json = await objects().getNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: ns.name, plural: PLURAL, name: 'owner',
    });
    await kubectlOk(['-n', ns.name, 'create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'owned',
          ownerReferences: [{
            apiVersion: `${GROUP}/${VERSION}`, kind: 'MailAgent', name: 'owner', uid: owner.metadata.uid,
            controller: true, blockOwnerDeletion: true,
          }],
        },
        data: { a: 'b' },
      }),
    });
    await kubectlOk(['-n', ns.name, 'delete', 'mailagent', 'owner', '--wait=true', '--timeout=60s'], {
      timeoutMs: 90_000,
    });
    await waitFor(async () => {
      try {
        await core.readNamespacedConfigMap({ name: 'owned', namespace: ns.name });
        return false;
      } catch (e) {
        return e instanceof k8s.ApiException && e.code === 404;
      }
    }, 90_000, 'the garbage collector to delete the owned ConfigMap');
  });
});
