/** The seed's demo agent: what `mailagent synth` renders with no input. */
import { API_VERSION, KIND } from './types.js';
import type { MailAgent } from './types.js';

export function demoMailAgent(): MailAgent {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'pouet' },
    spec: { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }] },
  };
}

/** The seed's passwords (user = password), used only for the demo. */
export const DEMO_PASSWORDS: Readonly<Record<string, string>> = { toto: 'toto', tutu: 'tutu' };
