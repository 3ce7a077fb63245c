/** The claim that keeps mailboxes (and the queue) across pod restarts. */
import { Construct } from 'constructs';
import { k8s } from './k8s.js';
import type { ResolvedSpec } from '../api/resolve.js';

export interface MailClaimProps {
  name: string;
  labels: Record<string, string>;
  storage: ResolvedSpec['storage'];
}

export class MailClaim extends Construct {
  constructor(scope: Construct, id: string, props: MailClaimProps) {
    super(scope, id);
    new k8s.KubePersistentVolumeClaim(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: k8s.Quantity.fromString(props.storage.size) } },
        ...(props.storage.storageClassName ? { storageClassName: props.storage.storageClassName } : {}),
      },
    });
  }
}
