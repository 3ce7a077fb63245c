/**
 * Secrets the agent owns: generated passwords (one key per user, readable by
 * whoever may read Secrets in the namespace) and, when no TLS Secret is
 * given, the generated certificate and the one-off CA that issued it.
 *
 * `data` (base64) rather than `stringData`: stringData is write-only, so a
 * server-side apply of it would never compare equal to what is stored.
 */
import { Construct } from 'constructs';
import { k8s } from './k8s.js';

const base64 = (values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

export interface CredentialsProps {
  name: string;
  labels: Record<string, string>;
  /** user name -> password, for users without passwordSecretRef. */
  passwords: Record<string, string>;
}

export class AgentCredentials extends Construct {
  constructor(scope: Construct, id: string, props: CredentialsProps) {
    super(scope, id);
    new k8s.KubeSecret(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      type: 'Opaque',
      data: base64(props.passwords),
    });
  }
}

export interface TlsSecretProps {
  name: string;
  labels: Record<string, string>;
  cert: string;
  key: string;
  /** The CA that issued cert (its key is not kept anywhere). */
  ca: string;
}

export class AgentTlsSecret extends Construct {
  constructor(scope: Construct, id: string, props: TlsSecretProps) {
    super(scope, id);
    new k8s.KubeSecret(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      type: 'kubernetes.io/tls',
      data: base64({ 'tls.crt': props.cert, 'tls.key': props.key, 'ca.crt': props.ca }),
    });
  }
}
