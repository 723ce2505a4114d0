/**
 * mailwire: typed IMAP and POP3 clients for Node.js with zero runtime dependencies.
 *
 * @packageDocumentation
 */
export * from './common/errors.js';
export { Secret } from './common/secret.js';
