/**
 * The package's programmatic API (`import { openInbox } from 'local-mail-agent'`):
 * read, wait for and delete a mail agent's messages from a Node test suite.
 */
export * from './inbox/index.js';
