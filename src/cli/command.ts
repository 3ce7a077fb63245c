/** What every `mailagent` subcommand provides; main.ts loads them lazily. */
import { UserError } from '../api/errors.js';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** A user error in the command line itself: printed with the usage, exit 1. */
export class UsageError extends UserError {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}
