/**
 * The typed data items of a FETCH response: ENVELOPE, BODYSTRUCTURE, body sections and the rest.
 *
 * @packageDocumentation
 */

import type { Uid } from './sequence-set.js';

/** One address of an envelope (RFC 3501 `address`), with group syntax flattened. */
export interface EnvelopeAddress {
  /** The display name, RFC 2047 encoded words decoded; null when absent. */
  readonly name: string | null;
  /** The display name as sent, or null. */
  readonly nameRaw: string | null;
  /** The obsolete source route (`addr-adl`), or null. */
  readonly route: string | null;
  /** The local part, or null when absent. */
  readonly mailbox: string | null;
  /**
   * The domain, or null when absent. A server that found no domain in the header may write
   * `.MISSING-HOST-NAME.` (UW-IMAP does) or an empty string here; it is kept as sent, and left out
   * of `address`.
   */
  readonly host: string | null;
  /**
   * `mailbox@host` (or whatever part of it exists; empty when neither): just `mailbox` when the
   * host is `.MISSING-HOST-NAME.` or empty.
   */
  readonly address: string;
  /**
   * The RFC 5322 group this address belongs to, or null. An entry with a group and no mailbox or
   * host (`address` '') stands for a group without members, such as `To: undisclosed-recipients:;`.
   */
  readonly group: string | null;
}

/**
 * The ENVELOPE of a message (RFC 3501 section 7.4.2).
 *
 * The address arrays are read-only and may be shared: when the server sends Sender or Reply-To
 * byte for byte equal to From (as it does when the message has none), they are the same array.
 *
 * Group members carry their group's name in {@link EnvelopeAddress.group}. A group without members
 * is kept as one entry with that name and every other field null (`address` ''), so an empty group
 * can be told from an empty list; a group with members has no such entry.
 *
 * @example
 * ```ts
 * // To: undisclosed-recipients:;
 * envelope.to; // [{ group: 'undisclosed-recipients', address: '', mailbox: null, host: null, name: null, ... }]
 * const emptyGroups = envelope.to.filter((entry) => entry.group !== null && entry.host === null);
 * ```
 */
export interface Envelope {
  /** The Date header as sent, or null. */
  readonly dateRaw: string | null;
  /** The Date header parsed, or null when absent or unparseable. */
  readonly date: Date | null;
  /** The Subject, RFC 2047 encoded words decoded; null when absent. */
  readonly subject: string | null;
  /**
   * The Subject as sent, or null. Raw 8-bit text that is not valid UTF-8 (which some servers pass
   * on from old mailers) is read as Latin-1 here, as in the display names and message ids.
   */
  readonly subjectRaw: string | null;
  /** From addresses. */
  readonly from: readonly EnvelopeAddress[];
  /** Sender addresses. */
  readonly sender: readonly EnvelopeAddress[];
  /** Reply-To addresses. */
  readonly replyTo: readonly EnvelopeAddress[];
  /** To addresses. */
  readonly to: readonly EnvelopeAddress[];
  /** Cc addresses. */
  readonly cc: readonly EnvelopeAddress[];
  /** Bcc addresses. */
  readonly bcc: readonly EnvelopeAddress[];
  /** In-Reply-To, or null. */
  readonly inReplyTo: string | null;
  /** Message-ID, or null. */
  readonly messageId: string | null;
}

/**
 * MIME parameters (`body-fld-param`), decoded and as sent.
 *
 * `params` holds what a reader wants: names lower-cased without RFC 2231 `*` markers, RFC 2231
 * continuations joined (`name*0*`, `name*1*`, ... in numeric order), RFC 2231 extended values
 * (`filename*` = `utf-8''%C3%A9t%C3%A9.txt`) percent-decoded in their charset, and RFC 2047 encoded
 * words in plain values (`=?UTF-8?B?...?=`, as Outlook and Gmail send) decoded. When a name comes
 * both plain and extended, the extended value wins. An unknown charset reads as UTF-8 (or Latin-1
 * where the bytes are not UTF-8), and a bad percent escape stands for itself: decoding never fails.
 *
 * @example
 * ```ts
 * // BODYSTRUCTURE (... ("name*0*" "utf-8''%E6%97%A5" "name*1*" "%E6%9C%AC.pdf") ...)
 * part.params.name; // '日本.pdf'
 * part.paramsRaw['name*0*']; // "utf-8''%E6%97%A5"
 * ```
 */
export interface BodyParameters {
  /** The parameters decoded (names lower-cased, without `*` markers). */
  readonly params: Readonly<Record<string, string>>;
  /**
   * The parameters as the server sent them (names lower-cased, values untouched, each RFC 2231
   * piece under its own name): the same object as `params` when nothing needed decoding.
   */
  readonly paramsRaw: Readonly<Record<string, string>>;
}

/** `body-fld-dsp`: a Content-Disposition, with its parameters (`filename`) decoded. */
export interface ContentDisposition extends BodyParameters {
  /** The disposition, lower-cased (`inline`, `attachment`). */
  readonly type: string;
}

/** Extension data shared by every kind of part (`body-ext-1part` / `body-ext-mpart` tails). */
export interface BodyExtension {
  /** Content-Disposition, or null. */
  readonly disposition: ContentDisposition | null;
  /** Content-Language values. */
  readonly language: readonly string[];
  /** Content-Location, or null. */
  readonly location: string | null;
}

/** `body-fields`: what every non-multipart part has; `params` are its Content-Type parameters. */
export interface BodyFields extends BodyParameters {
  /** Content-ID, or null. */
  readonly id: string | null;
  /** Content-Description, or null. */
  readonly description: string | null;
  /** Content-Transfer-Encoding, upper-cased (`7BIT`, `BASE64`...). */
  readonly encoding: string;
  /** Size in octets of the encoded body. */
  readonly size: number;
}

/** Fields common to every node of a body structure. */
interface BodyPartBase {
  /** The part's section number for `BODY[...]` (`1`, `2.1`; `''` for a multipart root). */
  readonly partId: string;
  /** The media type, lower-cased (`text`, `image`, `multipart`). */
  readonly type: string;
  /** The media subtype, lower-cased (`plain`, `mixed`). */
  readonly subtype: string;
}

/** Extension data of a non-multipart part (`body-ext-1part`). */
export interface SinglePartExtension extends BodyExtension {
  /** Content-MD5, or null. */
  readonly md5: string | null;
}

/** `body-type-basic`: any non-text, non-message part. */
export interface BasicBodyPart extends BodyPartBase, BodyFields {
  /** Discriminant. */
  readonly kind: 'basic';
  /** Extension data (BODYSTRUCTURE only), or null. */
  readonly extension: SinglePartExtension | null;
}

/** `body-type-text`. */
export interface TextBodyPart extends BodyPartBase, BodyFields {
  /** Discriminant. */
  readonly kind: 'text';
  /** Size in lines. */
  readonly lines: number;
  /** Extension data (BODYSTRUCTURE only), or null. */
  readonly extension: SinglePartExtension | null;
}

/** `body-type-msg`: an attached message (`message/rfc822`, `message/global`). */
export interface MessageBodyPart extends BodyPartBase, BodyFields {
  /** Discriminant. */
  readonly kind: 'message';
  /** The attached message's envelope (null when a server omits it). */
  readonly envelope: Envelope | null;
  /** The attached message's structure (null when a server omits it). */
  readonly body: BodyStructure | null;
  /** Size in lines. */
  readonly lines: number;
  /** Extension data (BODYSTRUCTURE only), or null. */
  readonly extension: SinglePartExtension | null;
}

/** Extension data of a multipart (`body-ext-mpart`); `params` are its Content-Type parameters (`boundary`). */
export interface MultiPartExtension extends BodyExtension, BodyParameters {}

/** `body-type-mpart`. */
export interface MultiBodyPart extends BodyPartBase {
  /** Discriminant. */
  readonly kind: 'multipart';
  /** The children. */
  readonly parts: readonly BodyStructure[];
  /** Extension data (BODYSTRUCTURE only), or null. */
  readonly extension: MultiPartExtension | null;
}

/** A node of a BODY or BODYSTRUCTURE tree. */
export type BodyStructure = BasicBodyPart | TextBodyPart | MessageBodyPart | MultiBodyPart;

/** The part of a message a `BODY[...]` or `BINARY[...]` item addresses. */
export interface BodySection {
  /** The text between the brackets, upper-cased as sent (`1.2.HEADER.FIELDS (FROM TO)`). */
  readonly raw: string;
  /** The part path (`[1, 2]` for `1.2`); empty for the whole message. */
  readonly part: readonly number[];
  /** The section text, or null for the whole part. */
  readonly text: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME' | null;
  /** The header field names of HEADER.FIELDS(.NOT), upper-cased. */
  readonly fields: readonly string[];
}

/** Which FETCH item carried a body value. */
export type BodyItemName = 'BODY' | 'BINARY' | 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT';

/** The contents of a body value. */
export type BodyContent =
  /** The bytes, buffered (owned by the caller). */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** The bytes went to the sink returned by the body hook; `size` octets. */
  | { readonly kind: 'streamed'; readonly size: number }
  /** The server sent NIL. */
  | { readonly kind: 'nil' };

/** A `BODY[section]<origin>`, `BINARY[section]<origin>` or `RFC822*` value. */
export interface FetchBody {
  /** The item name. */
  readonly item: BodyItemName;
  /** The section (for RFC822 items: the equivalent, e.g. `HEADER` for RFC822.HEADER). */
  readonly section: BodySection;
  /** The origin octet of a partial fetch (`<origin>`), or null. */
  readonly origin: number | null;
  /** The value. */
  readonly content: BodyContent;
}

/** A FETCH item this parser does not type (X-GM-LABELS, X-GM-THRID, ...), kept as text. */
export interface UnknownFetchItem {
  /** The item name, upper-cased, with its section and origin when it has them (`X-ITEM[1.2]<0>`, the section as sent). */
  readonly name: string;
  /** The value exactly as sent (literals inlined), decoded as UTF-8. */
  readonly value: string;
}

/** The data items of one FETCH response; each is present only when the server sent it. */
export interface FetchAttributes {
  /** UID (left out when the server sent UID 0, which names no message). */
  readonly uid?: Uid;
  /** FLAGS. */
  readonly flags?: readonly string[];
  /** INTERNALDATE (null when the server sent something unparseable). */
  readonly internalDate?: Date | null;
  /** RFC822.SIZE. */
  readonly size?: number;
  /** ENVELOPE. */
  readonly envelope?: Envelope;
  /** BODYSTRUCTURE. */
  readonly bodyStructure?: BodyStructure;
  /** BODY (the non-extensible form). */
  readonly body?: BodyStructure;
  /** MODSEQ (RFC 7162): 1 or more; absent when the server sent none, or a 0 or a negative value. */
  readonly modseq?: bigint;
  /** EMAILID (RFC 8474). */
  readonly emailId?: string;
  /** THREADID (RFC 8474); null for NIL. */
  readonly threadId?: string | null;
  /** SAVEDATE (RFC 8514); null for NIL. */
  readonly saveDate?: Date | null;
  /** BINARY.SIZE[section] values (RFC 3516), section text to size. */
  readonly binarySize?: Readonly<Record<string, number>>;
  /** Body values: BODY[...], BINARY[...], RFC822, RFC822.HEADER, RFC822.TEXT. */
  readonly bodies?: readonly FetchBody[];
  /** Items not typed here (X-GM-*, vendor items). */
  readonly unknown?: readonly UnknownFetchItem[];
}
