/** Reads the agent.conf the image is started with (the ConfigMap's key): key=value lines. */

export function parseAgentConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let value = line.slice(eq + 1).trim();
    const quoted = /^"(.*)"$|^'(.*)'$/.exec(value);
    if (quoted) value = quoted[1] ?? quoted[2] ?? '';
    out.set(line.slice(0, eq).trim(), value);
  }
  return out;
}

/**
 * The catch-all user, if the agent has one. spec.catchAll is being added in
 * parallel (issue 13), and the key its agent.conf will use is not settled:
 * accept the plausible spellings rather than miss it.
 */
export function catchAllFromConf(conf: ReadonlyMap<string, string>): string | undefined {
  for (const key of ['catch_all', 'catchall', 'catch_all_user', 'catchall_user']) {
    const v = conf.get(key)?.trim();
    if (v && v !== 'false' && v !== 'none') return v;
  }
  return undefined;
}
