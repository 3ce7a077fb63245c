/**
 * Bad configuration: the container exits non-zero (78, EX_CONFIG) with exactly
 * one line on stderr that names the input and the fix, before any daemon starts.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { makePki } from './support/clients.js';
import { runOnce, tempDir, writeConfigDir } from './support/podman.js';

type Files = Record<string, string | Buffer>;
interface Pair { crt: Buffer; key: Buffer }

interface BadCase {
  name: string;
  /** Files under /etc/mailagent; a function when they need the test certificates. */
  files?: Files | ((a: Pair, b: Pair) => Files);
  env?: Record<string, string>;
  args?: string[];
  line: string | RegExp;
}

const C = '/etc/mailagent';

const cases: BadCase[] = [
  { name: 'invalid domain', files: { 'agent.conf': 'domain=not a_domain\n' },
    line: `mailagent: ${C}/agent.conf line 1: domain 'not a_domain' is not a valid domain name; use dot-separated labels of letters, digits and '-', e.g. pouet.com` },
  // The CRD refuses the same values (one rule set: /usr/share/mailagent/rules, generated from src/api).
  { name: 'domain whose last label is all digits', env: { MAILAGENT_DOMAIN: 'pouet.123' },
    line: /^mailagent: MAILAGENT_DOMAIN: domain 'pouet\.123' is not a valid domain name; / },
  { name: 'reserved user name administrator', files: { 'agent.conf': 'users=toto administrator\n' },
    line: `mailagent: ${C}/agent.conf line 1: user name 'administrator' is reserved; choose another name` },
  { name: 'password longer than 256 bytes', files: { 'passwords/toto': `${'é'.repeat(128)}x\n` },
    line: `mailagent: ${C}/passwords/toto: password is 257 bytes long; choose one of at most 256 bytes` },
  { name: 'catch_all that is not a user', env: { MAILAGENT_CATCH_ALL: 'qa' },
    line: "mailagent: MAILAGENT_CATCH_ALL: catch_all user 'qa' is not one of the users (toto tutu); name an existing user" },
  { name: 'bad catch_all_domains entry', env: { MAILAGENT_CATCH_ALL: 'toto', MAILAGENT_CATCH_ALL_DOMAINS: 'example.org evil..example' },
    line: "mailagent: MAILAGENT_CATCH_ALL_DOMAINS: 'evil..example' is not a domain pattern; use e.g. example.org or *.test, separated by spaces" },
  { name: 'catch_all_domains without catch_all', env: { MAILAGENT_CATCH_ALL_DOMAINS: 'example.org' },
    line: 'mailagent: MAILAGENT_CATCH_ALL_DOMAINS: catch_all_domains needs catch_all=<user>; set it or remove catch_all_domains' },
  { name: 'bad message_size', env: { MAILAGENT_MESSAGE_SIZE: '10 MB' },
    line: "mailagent: MAILAGENT_MESSAGE_SIZE: message_size must be a size in bytes (e.g. 10485760 or 10Mi), got '10 MB'" },
  { name: 'max_recipients out of bounds', env: { MAILAGENT_MAX_RECIPIENTS: '0' },
    line: "mailagent: MAILAGENT_MAX_RECIPIENTS: max_recipients must be a whole number from 1 to 1000, got '0'" },
  { name: 'a user named like a fault address with faults on', env: { MAILAGENT_FAULTS: 'true', MAILAGENT_USERS: 'toto drop' }, files: { users: 'toto:a\ndrop:b\n' },
    line: "mailagent: MAILAGENT_USERS: user name 'drop' is a fault-injection address while faults=true; rename the user or set faults=false" },
  { name: 'empty domain', files: { 'agent.conf': '# cm\n\ndomain=\n' },
    line: `mailagent: ${C}/agent.conf line 3: domain is empty; set domain=<mail domain>, e.g. domain=pouet.com` },
  { name: 'invalid domain from the environment', env: { MAILAGENT_DOMAIN: '-bad-.com' },
    line: /^mailagent: MAILAGENT_DOMAIN: domain '-bad-\.com' is not a valid domain name; / },
  { name: 'unknown agent.conf key', files: { 'agent.conf': 'domian=pouet.com\n' },
    line: /^mailagent: \/etc\/mailagent\/agent\.conf line 1: unknown key 'domian'; valid keys: domain users imap / },
  { name: 'agent.conf line without =', files: { 'agent.conf': 'imap true\n' },
    line: /^mailagent: \/etc\/mailagent\/agent\.conf line 1: expected key=value, got 'imap true'; / },
  { name: 'bad boolean', files: { 'agent.conf': 'imap=yes please\n' },
    line: `mailagent: ${C}/agent.conf line 1: imap must be true or false, got 'yes please'` },
  { name: 'bad port', env: { MAILAGENT_POP3_PORT: '70000' },
    line: `mailagent: MAILAGENT_POP3_PORT: pop3_port must be a port number from 1 to 65535, got '70000'` },
  { name: 'two services on one port', files: { 'agent.conf': 'smtp_port=2525\npop3_port=2525\n' },
    line: /^mailagent: \/etc\/mailagent\/agent\.conf line 2: pop3_port and smtp_port are both 2525; give each service its own port$/ },
  { name: 'malformed users file line', files: { users: 'toto:secret\ntutu\n' },
    line: `mailagent: ${C}/users line 2: expected name:password; write one user per line, e.g. toto:secret` },
  { name: 'invalid user name', files: { users: 'Bob:secret\n' },
    line: `mailagent: ${C}/users line 1: user name 'Bob' is invalid; use 1-32 characters from a-z 0-9 . _ - starting with a letter` },
  { name: 'reserved user name', files: { 'agent.conf': 'users=toto postmaster\n' },
    line: `mailagent: ${C}/agent.conf line 1: user name 'postmaster' is reserved; choose another name` },
  { name: 'user listed without password', files: { 'agent.conf': 'users=carol\n' },
    line: `mailagent: ${C}/agent.conf line 1: user 'carol' has no password; add ${C}/passwords/carol or a 'carol:<password>' line to ${C}/users` },
  { name: "password with ':' (users file)", files: { users: 'toto:a:b\n' },
    line: `mailagent: ${C}/users line 1: password contains ':'; choose a password without ':'` },
  { name: "password with ':' (password file)", files: { 'passwords/toto': 'a:b\n' },
    line: `mailagent: ${C}/passwords/toto: password contains ':'; choose a password without ':'` },
  { name: 'password with a newline', files: { 'agent.conf': 'users=toto\n', 'passwords/toto': 'ab\ncd\n' },
    line: `mailagent: ${C}/passwords/toto: password contains a newline; store it without line breaks` },
  { name: 'password with a carriage return', files: { 'passwords/toto': 'abcd\r\n' },
    line: `mailagent: ${C}/passwords/toto: password contains a carriage return; store it without line breaks` },
  { name: 'password with a NUL byte', files: { 'passwords/toto': Buffer.from('ab\0cd') },
    line: `mailagent: ${C}/passwords/toto: password contains a NUL byte; store it as text without NUL` },
  { name: 'empty password', files: { 'passwords/toto': '\n' },
    line: `mailagent: ${C}/passwords/toto: password is empty; store a non-empty password` },
  { name: 'TLS key not matching the certificate', files: (a, b) => ({ 'tls/tls.crt': a.crt, 'tls/tls.key': b.key }),
    line: `mailagent: ${C}/tls/tls.key: private key does not match the certificate in ${C}/tls/tls.crt; mount the key that belongs to that certificate` },
  { name: 'TLS certificate without key', files: (a) => ({ 'tls/tls.crt': a.crt }),
    line: `mailagent: ${C}/tls/tls.key: missing while ${C}/tls/tls.crt exists; mount both (a kubernetes.io/tls Secret) or neither` },
  { name: 'TLS certificate that is not PEM', files: (a) => ({ 'tls/tls.crt': 'garbage\n', 'tls/tls.key': a.key }),
    line: `mailagent: ${C}/tls/tls.crt: not a PEM certificate; mount the PEM certificate (chain) as tls.crt` },
  { name: 'a uid other than 0 or 900', args: ['--user', '1234:1234'],
    line: 'mailagent: running as uid 1234: run as uid 900 (Debian-exim; runAsUser: 900) or as root' },
  { name: 'uid 900 with gid 0 (runAsGroup missing)', args: ['--user', '900:0'],
    line: 'mailagent: running as uid 900 with gid 0: run with gid 900 too (runAsGroup: 900; --user 900:900)' },
  { name: 'root without the capabilities the daemons need', args: ['--cap-drop=ALL'],
    line: 'mailagent: running as root without capabilities CHOWN, KILL, SETGID, SETUID: add them (--cap-add) or run as uid 900 (--user 900) with none' },
  { name: 'root without NET_BIND_SERVICE on port 25', args: ['--cap-drop=NET_BIND_SERVICE'],
    line: 'mailagent: default smtp_port: port 25 needs capability NET_BIND_SERVICE; add it (--cap-add NET_BIND_SERVICE) or use ports >= 1024' },
  { name: 'uid 900 with a mail volume it cannot write', args: ['--user', '900:900', '--tmpfs', '/var/mail:mode=0755'],
    line: /^mailagent: \/var\/mail: not writable by uid 900; mount a volume there writable by uid\/gid 900 \(fsGroup: 900\) - the mailboxes$/ },
];

describe('bad configuration exits non-zero with one clear line', () => {
  let pkiA: Pair;
  let pkiB: Pair;
  const dirs: string[] = [];

  beforeAll(async () => {
    const load = async (): Promise<Pair> => {
      const d = tempDir('badpki');
      dirs.push(d);
      const p = await makePki(d, 'pouet.com');
      return { crt: readFileSync(p.crt), key: readFileSync(p.key) };
    };
    [pkiA, pkiB] = await Promise.all([load(), load()]);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each(cases)('$name', async (c) => {
    const args: string[] = [...(c.args ?? [])];
    if (c.files) {
      const dir = writeConfigDir('bad', typeof c.files === 'function' ? c.files(pkiA, pkiB) : c.files);
      dirs.push(dir);
      args.push('-v', `${dir}:/etc/mailagent:ro`);
    }
    for (const [k, v] of Object.entries(c.env ?? {})) args.push('-e', `${k}=${v}`);
    const r = await runOnce(args);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    if (typeof c.line === 'string') expect(lines[0]).toBe(c.line);
    else expect(lines[0]).toMatch(c.line);
    expect(r.code).toBe(78);
  });
});
