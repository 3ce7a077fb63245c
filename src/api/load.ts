/** Reads MailAgent documents from YAML text, with errors that point at the file and line. */
import { parseAllDocuments } from 'yaml';
import { InputError } from './errors.js';
import { validateMailAgent } from './validate.js';
import type { MailAgent } from './types.js';

export function parseYamlDocuments(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    const first = doc.errors[0];
    if (first) {
      throw new InputError(`${source}: not valid YAML: ${first.message.split('\n')[0] ?? first.message}`);
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function loadMailAgents(text: string, source: string): MailAgent[] {
  const docs = parseYamlDocuments(text, source);
  if (docs.length === 0) throw new InputError(`${source}: no MailAgent document found; expected apiVersion: localmail.dev/v1alpha1, kind: MailAgent`);
  return docs.map((d, i) => validateMailAgent(d, docs.length > 1 ? `${source} (document ${i + 1})` : source));
}
