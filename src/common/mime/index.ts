/**
 * MIME helpers shared by the IMAP and POP3 clients.
 *
 * @packageDocumentation
 */

export { decodeEncodedWords } from './encoded-word.js';
export type { HeaderField, MailAddress } from './header.js';
export { getHeaderValue, parseAddressList, parseHeaderFields, unfoldHeaderValue } from './header.js';
