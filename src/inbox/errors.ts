/**
 * Errors of src/inbox. InboxError is a user error: the CLI prints its one-line
 * message and exits 1. Subclasses say which kind, so programs can tell them apart.
 */
import { UserError } from '../api/errors.js';

export class InboxError extends UserError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InboxError';
  }
}

/** The agent, the user or the message does not exist (or is in another namespace). */
export class NotFoundError extends InboxError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The agent exists but cannot serve mail now (pod not Ready, mailbox server down). */
export class AgentNotReadyError extends InboxError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AgentNotReadyError';
  }
}

/** waitFor timed out; the message says what was awaited and what did arrive. */
export class WaitTimeoutError extends InboxError {
  constructor(message: string, readonly arrived: readonly { id: string; subject: string; from: string; to: string[] }[]) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}
