/**
 * The typed IMAP server responses produced by the response assembler.
 *
 * Every response is one member of the {@link ImapResponse} union, discriminated by `kind`;
 * callers switch on `kind` and get typed fields, never a generic token tree.
 *
 * @packageDocumentation
 */

import type { FetchAttributes } from './fetch-types.js';
import type { ResponseCode } from './response-code-types.js';
import type { SeqNum, Uid } from './sequence-set.js';

/**
 * An inclusive range of numbers as the server sent it (`uid-set`, `known-uids`): ascending, except
 * in COPYUID, where a range keeps the server's order (see `CopyUidCode`).
 */
export interface NumberRange {
  /** The first number. */
  readonly start: number;
  /** The last number (equal to `start` for a single number). */
  readonly end: number;
}

/** `OK`, `NO` or `BAD`: the outcome of a tagged command. */
export type TaggedStatus = 'OK' | 'NO' | 'BAD';

/** The status of an untagged status response. */
export type UntaggedStatus = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

/** The completion of a command: `A1 OK [READ-WRITE] SELECT completed`. */
export interface TaggedStatusResponse {
  /** Discriminant. */
  readonly kind: 'tagged';
  /** The tag of the command this completes. */
  readonly tag: string;
  /** The outcome. */
  readonly status: TaggedStatus;
  /** The bracketed response code, or null. */
  readonly code: ResponseCode | null;
  /** What followed the code's name inside the brackets, as sent (`(UTF-8)` of `[BADCHARSET (UTF-8)]`), when anything did. */
  readonly codeData?: string;
  /** The human-readable text (may be empty). */
  readonly text: string;
}

/** `* OK ...`, `* NO ...`, `* BAD ...`, `* PREAUTH ...` or `* BYE ...`. */
export interface UntaggedStatusResponse {
  /** Discriminant. */
  readonly kind: 'status';
  /** The status word. */
  readonly status: UntaggedStatus;
  /** The bracketed response code, or null. */
  readonly code: ResponseCode | null;
  /** What followed the code's name inside the brackets, as sent (`(UTF-8)` of `[BADCHARSET (UTF-8)]`), when anything did. */
  readonly codeData?: string;
  /** The human-readable text (may be empty). */
  readonly text: string;
}

/** A command continuation request: `+ Ready for literal` or `+ <base64 challenge>`. */
export interface ContinuationResponse {
  /** Discriminant. */
  readonly kind: 'continuation';
  /** The text after `+ ` (a base64 SASL challenge during AUTHENTICATE; may be empty). */
  readonly text: string;
  /** A response code, when the text starts with one. */
  readonly code: ResponseCode | null;
}

/** `* CAPABILITY IMAP4rev1 IDLE ...`. */
export interface CapabilityResponse {
  /** Discriminant. */
  readonly kind: 'capability';
  /** The capability names, upper-cased (`AUTH=PLAIN`, `IMAP4REV2`). */
  readonly capabilities: readonly string[];
}

/** `* ENABLED CONDSTORE UTF8=ACCEPT` (RFC 5161). */
export interface EnabledResponse {
  /** Discriminant. */
  readonly kind: 'enabled';
  /** The extensions now enabled, upper-cased. */
  readonly capabilities: readonly string[];
}

/** `* LIST (\HasNoChildren) "/" INBOX` or its LSUB twin. */
export interface ListResponse {
  /** Discriminant. */
  readonly kind: 'list';
  /** Which command's data this is. */
  readonly command: 'LIST' | 'LSUB';
  /** Mailbox attributes as sent (`\HasChildren`, `\Noselect`, special-use `\Sent`, ...). */
  readonly attributes: readonly string[];
  /**
   * The hierarchy delimiter, one character, or null for a flat namespace (also when the server sent
   * `""`; of a delimiter sent longer, such as `"//"`, the first character).
   */
  readonly delimiter: string | null;
  /** The decoded mailbox name (modified UTF-7 decoded unless UTF8=ACCEPT is enabled). */
  readonly name: string;
  /** The name exactly as sent, for sending back. */
  readonly nameRaw: string;
  /** RFC 5258 CHILDINFO extended data (`SUBSCRIBED`), or null. */
  readonly childInfo: readonly string[] | null;
  /** RFC 9051 OLDNAME extended data (decoded), or null. */
  readonly oldName: string | null;
}

/** The attributes a STATUS response can carry (each present only when the server sent it). */
export interface MailboxStatusAttributes {
  /** MESSAGES. */
  readonly messages?: number;
  /** RECENT (IMAP4rev1 only). */
  readonly recent?: number;
  /** UIDNEXT (left out when the server sent 0 or NIL, as is any number item sent as NIL). */
  readonly uidNext?: Uid;
  /** UIDVALIDITY (left out when the server sent 0 or NIL). */
  readonly uidValidity?: number;
  /** UNSEEN. */
  readonly unseen?: number;
  /** DELETED (IMAP4rev2). */
  readonly deleted?: number;
  /** SIZE (IMAP4rev2 / RFC 8438), in octets. */
  readonly size?: number;
  /**
   * HIGHESTMODSEQ (RFC 7162). Absent, as if not sent, when the server answered 0: the mailbox keeps
   * no mod-sequences (like `[NOMODSEQ]` for SELECT).
   */
  readonly highestModseq?: bigint;
  /** APPENDLIMIT (RFC 7889); null when the server says NIL (no limit). */
  readonly appendLimit?: number | null;
}

/** `* STATUS INBOX (MESSAGES 3 UIDNEXT 4)`. */
export interface MailboxStatusResponse {
  /** Discriminant. */
  readonly kind: 'mailbox-status';
  /** The decoded mailbox name. */
  readonly mailbox: string;
  /** The attributes. */
  readonly attributes: MailboxStatusAttributes;
}

/** `* SEARCH 2 3 5 (MODSEQ 917162500)` (RFC 7162 adds the MODSEQ). */
export interface SearchResponse {
  /** Discriminant. */
  readonly kind: 'search';
  /** Sequence numbers or UIDs, depending on the command, as sent (a 0, which names no message, left out). */
  readonly ids: readonly number[];
  /** The highest mod-sequence of the messages found, or null. */
  readonly modseq: bigint | null;
}

/** `* ESEARCH (TAG "A1") UID COUNT 3 ALL 1:3` (RFC 4731). */
export interface ESearchResponse {
  /** Discriminant. */
  readonly kind: 'esearch';
  /** The tag of the command this answers, or null. */
  readonly tag: string | null;
  /** True when the numbers are UIDs. */
  readonly uid: boolean;
  /** MIN, or null (also for `MIN 0`, which names no message). */
  readonly min: number | null;
  /** MAX, or null (also for `MAX 0`). */
  readonly max: number | null;
  /** COUNT, or null. */
  readonly count: number | null;
  /** ALL, each range ascending, a 0 left out; null when absent or when it named only 0. */
  readonly all: readonly NumberRange[] | null;
  /** MODSEQ, or null. */
  readonly modseq: bigint | null;
  /** PARTIAL (RFC 9394): one page of the result, or null when absent. */
  readonly partial: ESearchPartial | null;
}

/**
 * The `PARTIAL` of an ESEARCH response (RFC 9394): the page of the result the search asked for.
 *
 * @example
 * ```ts
 * // * ESEARCH (TAG "A1") UID PARTIAL (-100:-1 5,9)
 * partial; // { range: { start: 1, end: 100 }, fromEnd: true, set: [{ start: 5, end: 5 }, { start: 9, end: 9 }] }
 * ```
 */
export interface ESearchPartial {
  /**
   * The positions in the result the page covers, ascending (1 is the first match): counted from the
   * oldest match, or from the newest when {@link ESearchPartial.fromEnd} (the server's `-1:-100`).
   */
  readonly range: NumberRange;
  /** True when {@link ESearchPartial.range} counts from the newest match (1 is the last). */
  readonly fromEnd: boolean;
  /**
   * The messages of the page (UIDs or sequence numbers, as for `all`), each range ascending, a 0
   * left out; null when the page holds none (the server's NIL).
   */
  readonly set: readonly NumberRange[] | null;
}

/** `* FLAGS (\Answered \Flagged $Forwarded)`. */
export interface FlagsResponse {
  /** Discriminant. */
  readonly kind: 'flags';
  /** The flags defined in the mailbox. */
  readonly flags: readonly string[];
}

/** `* 23 EXISTS`. */
export interface ExistsResponse {
  /** Discriminant. */
  readonly kind: 'exists';
  /** The number of messages in the mailbox. */
  readonly count: number;
}

/** `* 5 RECENT` (IMAP4rev1). */
export interface RecentResponse {
  /** Discriminant. */
  readonly kind: 'recent';
  /** The number of messages with \Recent. */
  readonly count: number;
}

/** `* 44 EXPUNGE`. */
export interface ExpungeResponse {
  /** Discriminant. */
  readonly kind: 'expunge';
  /** The sequence number of the removed message. */
  readonly seq: SeqNum;
}

/** `* VANISHED (EARLIER) 300:310,405` (RFC 7162 QRESYNC). */
export interface VanishedResponse {
  /** Discriminant. */
  readonly kind: 'vanished';
  /** True for `(EARLIER)`: an answer to a request, not a live expunge. */
  readonly earlier: boolean;
  /** The UIDs removed. */
  readonly uids: readonly NumberRange[];
}

/** `* 12 FETCH (...)`. */
export interface FetchResponse {
  /** Discriminant. */
  readonly kind: 'fetch';
  /** The message's sequence number. */
  readonly seq: SeqNum;
  /** The data items, typed. */
  readonly attributes: FetchAttributes;
}

/** `* ID ("name" "Dovecot")` (RFC 2971). */
export interface IdResponse {
  /** Discriminant. */
  readonly kind: 'id';
  /** The server's fields (names lower-cased), or null for `* ID NIL`. */
  readonly fields: Readonly<Record<string, string | null>> | null;
}

/** One namespace of a NAMESPACE response (RFC 2342). */
export interface NamespaceDescriptor {
  /** The prefix (decoded), e.g. `INBOX.` or `""`. */
  readonly prefix: string;
  /** The hierarchy delimiter, one character, or null (read as {@link ListResponse.delimiter} is). */
  readonly delimiter: string | null;
}

/** `* NAMESPACE (("" "/")) NIL NIL`. */
export interface NamespaceResponse {
  /** Discriminant. */
  readonly kind: 'namespace';
  /** Personal namespaces (null for NIL). */
  readonly personal: readonly NamespaceDescriptor[] | null;
  /** Other users' namespaces (null for NIL). */
  readonly otherUsers: readonly NamespaceDescriptor[] | null;
  /** Shared namespaces (null for NIL). */
  readonly shared: readonly NamespaceDescriptor[] | null;
}

/** One resource of a QUOTA response (RFC 9208). */
export interface QuotaResource {
  /** The resource name, upper-cased (`STORAGE`, `MESSAGE`). */
  readonly name: string;
  /** Current usage (STORAGE in KiB). */
  readonly usage: number;
  /** The limit. */
  readonly limit: number;
}

/** `* QUOTA "" (STORAGE 10 512)`. */
export interface QuotaResponse {
  /** Discriminant. */
  readonly kind: 'quota';
  /** The quota root. */
  readonly root: string;
  /** The resources; one whose usage or limit the server sent as NIL (unknown) is left out. */
  readonly resources: readonly QuotaResource[];
}

/** `* QUOTAROOT INBOX ""`. */
export interface QuotaRootResponse {
  /** Discriminant. */
  readonly kind: 'quotaroot';
  /** The decoded mailbox name. */
  readonly mailbox: string;
  /** Its quota roots. */
  readonly roots: readonly string[];
}

/** One entry of a METADATA response (RFC 5464). */
export interface MetadataEntry {
  /** The entry name, e.g. `/private/comment`. */
  readonly name: string;
  /** Its value (UTF-8 decoded), or null for NIL or an unsolicited name-only list. */
  readonly value: string | null;
}

/** `* METADATA INBOX (/private/comment "My comment")`. */
export interface MetadataResponse {
  /** Discriminant. */
  readonly kind: 'metadata';
  /** The decoded mailbox name (empty for server metadata). */
  readonly mailbox: string;
  /** The entries. */
  readonly entries: readonly MetadataEntry[];
}

/** An untagged response this parser does not know (kept so nothing is silently lost). */
export interface UnknownResponse {
  /** Discriminant. */
  readonly kind: 'unknown';
  /** The response name, upper-cased (`XLIST` is parsed as LIST; this is for the rest). */
  readonly name: string;
  /** The rest of the line, decoded as UTF-8 (literals shown as their contents). */
  readonly text: string;
}

/** Every response the assembler can produce. */
export type ImapResponse =
  | TaggedStatusResponse
  | UntaggedStatusResponse
  | ContinuationResponse
  | CapabilityResponse
  | EnabledResponse
  | ListResponse
  | MailboxStatusResponse
  | SearchResponse
  | ESearchResponse
  | FlagsResponse
  | ExistsResponse
  | RecentResponse
  | ExpungeResponse
  | VanishedResponse
  | FetchResponse
  | IdResponse
  | NamespaceResponse
  | QuotaResponse
  | QuotaRootResponse
  | MetadataResponse
  | UnknownResponse;
