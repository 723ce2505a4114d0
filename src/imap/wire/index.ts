/**
 * The IMAP wire layer: the response assembler and parser, the command encoder, and the pure
 * helpers the commands need (sequence sets, modified UTF-7, dates, search criteria). No socket.
 *
 * @packageDocumentation
 */

export type { BodySink, BodyStart, ResponseAssemblerOptions, ResponseHandler } from './assembler.js';
export { BUFFER_BODY } from './assembler.js';
export { ResponseAssembler } from './assembler.js';
export type { BodySectionRequest, CommandArg } from './command-args.js';
export {
  astring, atom, bodySection, concat, date, dateTime, flag, isAtom, list, listMailbox, literal, literalStream, mailbox, nstring, num, raw,
  secret, secretRaw, sequenceSet, str,
} from './command-args.js';
export { formatImapDate, formatImapDateTime, parseImapDate, parseImapDateTime } from './date.js';
export type { CommandFragment, EncoderOptions } from './encoder.js';
export { encodeCommand, encodeContinuation } from './encoder.js';
export type * from './fetch-types.js';
export { decodeModifiedUtf7, encodeModifiedUtf7 } from './modified-utf7.js';
export type * from './response-code-types.js';
export type * from './response-types.js';
export type { SearchOptions, SearchQuery } from './search.js';
export { buildSearchCriteria } from './search.js';
export type { SeqNum, SequenceInput, SequenceRange, Uid } from './sequence-set.js';
export { MAX_MESSAGE_NUMBER, SequenceSet, seqNum, uid } from './sequence-set.js';
