/**
 * `openMailbox(url, options)`: one entry point for both protocols. The URL says which protocol,
 * which server, which user and (IMAP) which folder; secrets come only from the options.
 *
 * @packageDocumentation
 */
import { domainToASCII } from 'node:url';
import type { Connector, RecordSetting } from './common/connector.js';
import { InvalidArgumentError, UidValidityChangedError } from './common/errors.js';
import { checkMailboxOptions, type Mailbox } from './common/mailbox.js';
import type { ClientOptions } from './common/options.js';
import { toSaslMechanismName, type SaslMechanismName } from './common/sasl/index.js';
import { Secret } from './common/secret.js';
import { ImapMailbox } from './imap/mailbox.js';
import type { ImapClientOptions } from './imap/options.js';
import type { Pop3ClientOptions } from './pop3/client.js';
import { Pop3Mailbox } from './pop3/mailbox.js';

/** A mailbox URL, parsed by {@link parseMailboxUrl}. */
export interface MailboxUrl {
  /** The protocol. */
  readonly protocol: 'imap' | 'pop3';
  /**
   * True for `imaps:` and `pop3s:`: TLS from the first byte. Otherwise {@link openMailbox} uses
   * STARTTLS/STLS, or implicit TLS on port 993 or 995 (see {@link OpenMailboxOptions.tls}).
   */
  readonly implicitTls: boolean;
  /** The host name or address (IPv6 without brackets). */
  readonly host: string;
  /** The port: the URL's, else 993, 143, 995 or 110. */
  readonly port: number;
  /** The user name, percent-decoded. */
  readonly username: string;
  /**
   * The login method from RFC 5092's `;AUTH=<mechanism>` (`imap://alice;AUTH=SCRAM-SHA-256@host`),
   * upper-cased, or undefined (`;AUTH=*` also means any; `;AUTH=+APOP` is `APOP`). Any mechanism
   * name is read; {@link openMailbox} refuses one mailwire does not implement.
   */
  readonly method: string | undefined;
  /** IMAP: the mailbox from the path, percent-decoded (default `INBOX`). POP3: undefined. */
  readonly mailbox: string | undefined;
  /**
   * IMAP: RFC 5092's `;UIDVALIDITY=<n>` after the mailbox (`imap://alice@host/INBOX;UIDVALIDITY=385759045`):
   * {@link openMailbox} then refuses a mailbox whose UIDVALIDITY is no longer that one. Else undefined.
   */
  readonly uidValidity?: number | undefined;
}

const DEFAULT_PORTS = { imap: 143, imaps: 993, pop3: 110, pop3s: 995 } as const;

const PORT_RANGE = 'The port of the mailbox URL must be from 1 to 65535';

/**
 * Parses `imap://`, `imaps://`, `pop3://` and `pop3s://` URLs (RFC 5092, RFC 2384).
 *
 * @example
 * ```ts
 * parseMailboxUrl('imaps://alice%40example.com@mail.example.com/Archive%2F2024');
 * // { protocol: 'imap', implicitTls: true, host: 'mail.example.com', port: 993,
 * //   username: 'alice@example.com', method: undefined, mailbox: 'Archive/2024' }
 * ```
 * @param url - the URL.
 * @returns its parts.
 * @throws InvalidArgumentError for another scheme, a missing user or host, a port outside 1 to 65535, a password in the URL
 *   (secrets belong in the options: URLs end up in logs), a path on a POP3 URL, a query or a fragment,
 *   a user name, `;AUTH=` or mailbox name holding a NUL, CR or LF (`%00`, `%0D`, `%0A`: no command can carry one).
 *   The message names the part and never repeats the URL.
 */
export function parseMailboxUrl(url: string | URL): MailboxUrl {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    // The URL parser refuses a port over 65535 as it refuses what is not a URL at all: say which.
    const port = typeof url === 'string' ? /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(url.trim())?.[1] : undefined;
    if (port !== undefined && Number(port) > 65535) throw new InvalidArgumentError(PORT_RANGE);
    throw new InvalidArgumentError('Not a URL: expected imap://, imaps://, pop3:// or pop3s://user@host');
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'imap' && scheme !== 'imaps' && scheme !== 'pop3' && scheme !== 'pop3s') {
    throw new InvalidArgumentError(`Unsupported URL scheme ${JSON.stringify(`${scheme}:`)}: expected imap://, imaps://, pop3:// or pop3s://`);
  }
  if (parsed.password !== '') {
    throw new InvalidArgumentError('A password in the mailbox URL is refused (URLs end up in logs): pass it as options.password');
  }
  const protocol = scheme.startsWith('imap') ? 'imap' : 'pop3';
  const host = hostOf(parsed.hostname);
  // RFC 5092 `user;AUTH=mech`: read from the text as written, since the URL parser percent-encodes
  // a raw ";" (which then could not be told from an encoded one inside the user name).
  // The last "@" of the authority ends the user part, as for the URL parser that found the host
  // (`imap://alice@example.com@mail.host`: user alice@example.com); a URL object has ";" and "="
  // percent-encoded already.
  const rawUser =
    typeof url === 'string'
      ? (/^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url.trim().replace(/[\t\r\n]/g, ''))?.[1] ?? '')
      : parsed.username.replace(/%3B/gi, ';').replace(/%3D/gi, '=');
  const [userPart = '', ...params] = rawUser.split(':')[0]!.split(';');
  const username = decodePart(userPart, 'The user name');
  if (username === '') throw new InvalidArgumentError(`The mailbox URL has no user: ${scheme}://user@host`);
  let method: string | undefined;
  for (const param of params) {
    const match = /^auth=(.+)$/i.exec(param);
    if (match === null) {
      // The parameter is not named: what follows ";" may be a password typed after ";" instead
      // of ":" (`alice;pass=word@host` as much as `alice;password@host`), and an error must not carry it.
      if (!param.includes('=')) throw new InvalidArgumentError('A ";" in the user part of the mailbox URL must start a parameter (;AUTH=...), or be written %3B');
      throw new InvalidArgumentError('Unknown parameter in the user part of the mailbox URL: only ;AUTH=<mechanism> may follow the user (RFC 5092)');
    }
    const value = decodePart(match[1]!, 'The ;AUTH= parameter').toUpperCase();
    method = value === '*' ? undefined : value === '+APOP' ? 'APOP' : value;
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new InvalidArgumentError('The mailbox URL may not have a query or a fragment');
  // RFC 5092: a raw ";" ends the mailbox name (one in a name is sent as %3B); `;UIDVALIDITY=n`
  // may follow, `/;UID=n` and the rest name a message, which is not a mailbox.
  const [path = '', ...pathParams] = parsed.pathname.replace(/^\//, '').split(';');
  let mailbox: string | undefined;
  let uidValidity: number | undefined;
  if (protocol === 'imap') {
    mailbox = path === '' ? 'INBOX' : decodePart(path, 'The mailbox name');
    if (pathParams.length > 0) {
      const match = pathParams.length === 1 ? /^UIDVALIDITY=([1-9][0-9]{0,9})$/i.exec(pathParams[0]!) : null;
      if (match === null || Number(match[1]) > 0xffffffff) {
        throw new InvalidArgumentError('The mailbox URL names more than a mailbox: only ;UIDVALIDITY=<n> may follow its name (RFC 5092)');
      }
      uidValidity = Number(match[1]);
    }
  } else if (path !== '' || pathParams.length > 0) {
    throw new InvalidArgumentError('A POP3 URL has no path: POP3 serves one mailbox per account');
  }
  const port = parsed.port === '' ? DEFAULT_PORTS[scheme] : Number(parsed.port);
  // Port 0 passes the URL parser; no server listens there (and a custom connector would be given it).
  if (port === 0) throw new InvalidArgumentError(PORT_RANGE);
  return { protocol, implicitTls: scheme.endsWith('s'), host, port, username, method, mailbox, ...(uidValidity === undefined ? {} : { uidValidity }) };
}

/**
 * A percent-decoded part of the URL. A NUL, CR or LF is refused here, where the error can name the
 * part, rather than when a command is encoded: no IMAP or POP3 command can carry one. The message
 * names the part and never repeats it.
 *
 * @param part - the part, as the error names it (`The user name`).
 */
function decodePart(encoded: string, part: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new InvalidArgumentError(`${part} in the mailbox URL is not valid percent-encoding`);
  }
  if (/[\0\r\n]/.test(decoded)) {
    throw new InvalidArgumentError(`${part} in the mailbox URL holds a NUL, CR or LF (%00, %0D, %0A), which no command can carry`);
  }
  return decoded;
}

/**
 * The host to connect to: brackets of an IPv6 literal removed; a name percent-decoded and in its
 * ASCII (punycode) form, since the URL parser leaves `imap:` hosts opaque (`bücher.example` would
 * stay `b%C3%BCcher.example`).
 */
function hostOf(hostname: string): string {
  const bracketed = /^\[(.*)\]$/.exec(hostname);
  if (bracketed !== null) return bracketed[1]!;
  let host: string;
  try {
    host = domainToASCII(decodeURIComponent(hostname));
  } catch {
    host = '';
  }
  if (host === '') throw new InvalidArgumentError(hostname === '' ? 'The mailbox URL has no host' : `The host of the mailbox URL is not a valid name: ${JSON.stringify(hostname)}`);
  return host;
}

/**
 * Options of {@link openMailbox}: secrets, the connection options both clients share (host, port and
 * TLS mode come from the URL), and what is passed on to the client.
 */
export interface OpenMailboxOptions extends Omit<ClientOptions, 'host' | 'port' | 'tls' | 'record'> {
  /** The password (never taken from the URL). */
  readonly password?: string | Secret | undefined;
  /** An OAuth 2.0 access token (XOAUTH2, OAUTHBEARER). */
  readonly accessToken?: string | Secret | undefined;
  /** A SASL authorization identity. */
  readonly authzid?: string | undefined;
  /**
   * The login method, overriding the URL's `;AUTH=`: `'auto'`, a SASL mechanism, `'LOGIN'` (IMAP)
   * or `'USER'` / `'APOP'` (POP3).
   */
  readonly method?: 'auto' | SaslMechanismName | 'USER' | 'APOP' | undefined;
  /**
   * For `imap:` and `pop3:`: `'starttls'` (default: STARTTLS/STLS, refused if not offered unless
   * `allowCleartext`) or `'none'` (needs `allowCleartext` to log in). `imaps:` and `pop3s:` are
   * implicit TLS, and so is `imap:` on port 993 and `pop3:` on port 995 when this is not set, as
   * the clients' own `tls` default is.
   */
  readonly tls?: 'starttls' | 'none' | undefined;
  /** The connector of the connections `watch()` opens (default: `connector`). */
  readonly watchConnector?: Connector | undefined;
  /**
   * Records the mailbox's sessions to transcripts (see `mailwire/testing`): a file path, or the
   * recorder's options with a `file`. The mailbox's own sessions go to that file, one after the
   * other; the connections `watch()` opens run alongside them, so they go to a second file named
   * like the first with `.watch` before its extension (`inbox.txt` -> `inbox.watch.txt`).
   * With a `sink` and no `file`, only the mailbox's own sessions are recorded.
   */
  readonly record?: RecordSetting | undefined;
  /** POP3: never mark retrieved messages deleted (keep a copy on the server). Default false. */
  readonly leaveOnServer?: boolean | undefined;
  /** POP3: what `headers()` does without TOP (`'error'`, the default, or `'retrieve'`: see `Pop3MailboxOptions`). */
  readonly headerFallback?: 'error' | 'retrieve' | undefined;
  /** Further IMAP client options (limits...), applied last. */
  readonly imap?: Partial<ImapClientOptions> | undefined;
  /** Further POP3 client options (limits...), applied last. */
  readonly pop3?: Partial<Pop3ClientOptions> | undefined;
}

/**
 * Opens a {@link Mailbox} by URL: `imap://`, `imaps://`, `pop3://`, `pop3s://`. Switching protocol
 * is changing the URL; `mailbox.traits` tells what changes with it.
 *
 * @example
 * ```ts
 * import { openMailbox } from 'mailwire';
 * await using mailbox = await openMailbox('imaps://alice@mail.example.com/INBOX', {
 *   password: process.env.MAIL_PASSWORD,
 * });
 * console.log(mailbox.traits.removesOnRetrieve); // false for IMAP, true for POP3
 * ```
 * @param url - the mailbox URL (user in it, never a password).
 * @param options - secrets and client options.
 * @returns the open mailbox (logged in; IMAP: the folder selected).
 * @throws InvalidArgumentError for a bad URL (see {@link parseMailboxUrl}), or a login method (the
 *   URL's `;AUTH=`, or `options.method`) that mailwire does not implement or that belongs to the other
 *   protocol, before anything connects; the clients' connect, TLS and login errors; UnsupportedError
 *   for a POP3 server without UIDL.
 */
export async function openMailbox(url: string | URL, options: OpenMailboxOptions = {}): Promise<Mailbox> {
  const target = parseMailboxUrl(url);
  const method = options.method ?? target.method;
  checkLoginMethod(method, target.protocol, options.method === undefined ? 'the URL\'s ;AUTH=' : 'options.method');
  // Checked for both protocols: whether an option is well-formed does not depend on the URL.
  checkMailboxOptions(options);
  const credentials = {
    username: target.username,
    ...(options.password === undefined ? {} : { password: Secret.from(options.password) }),
    ...(options.accessToken === undefined ? {} : { accessToken: Secret.from(options.accessToken) }),
    ...(options.authzid === undefined ? {} : { authzid: options.authzid }),
  };
  const common = {
    host: target.host,
    port: target.port,
    ...defined({
      // Given no tls option, an imap: or pop3: URL leaves the mode to the client, whose default
      // follows the port: implicit TLS on 993 or 995, where STARTTLS would wait for a greeting that
      // never comes, STARTTLS/STLS elsewhere.
      tls: target.implicitTls ? ('implicit' as const) : options.tls,
      allowCleartext: options.allowCleartext,
      tlsOptions: options.tlsOptions,
      logger: options.logger,
      connector: options.connector,
      // The mailboxes record their own sessions and their watch connections to two transcripts.
      record: options.record,
      connectTimeout: options.connectTimeout,
      greetingTimeout: options.greetingTimeout,
      commandTimeout: options.commandTimeout,
      keepAlive: options.keepAlive,
      signal: options.signal,
      scramMaxIterations: options.scramMaxIterations,
      scramMinIterations: options.scramMinIterations,
    }),
  };
  if (target.protocol === 'imap') {
    const client = Object.assign({}, common, {
      auth: { ...credentials, ...(method === undefined ? {} : { method: method as SaslMechanismName | 'LOGIN' | 'auto' }) },
    }, options.imap) as ImapClientOptions;
    const mailbox = await ImapMailbox.open({ client, mailbox: target.mailbox ?? 'INBOX', ...defined({ watchConnector: options.watchConnector }) });
    if (target.uidValidity !== undefined && mailbox.uidValidity !== target.uidValidity) {
      await mailbox.close().catch(() => undefined);
      throw new UidValidityChangedError(target.mailbox ?? 'INBOX', target.uidValidity, mailbox.uidValidity);
    }
    return mailbox;
  }
  const client = Object.assign({}, common, {
    auth: { ...credentials, ...(method === undefined ? {} : { method: method as SaslMechanismName | 'USER' | 'APOP' | 'auto' }) },
  }, options.pop3) as Pop3ClientOptions;
  return Pop3Mailbox.open({
    client,
    ...defined({ leaveOnServer: options.leaveOnServer, headerFallback: options.headerFallback, watchConnector: options.watchConnector }),
  });
}

/**
 * Refuses, before anything connects, a login method the protocol's client would refuse: one
 * mailwire does not implement (an RFC 5092 `;AUTH=GSSAPI`), or one of the other protocol.
 */
function checkLoginMethod(method: string | undefined, protocol: 'imap' | 'pop3', source: string): void {
  if (method === undefined || method === 'auto') return;
  if (protocol === 'imap' && (method === 'USER' || method === 'APOP')) {
    throw new InvalidArgumentError(`${method} is a POP3 login method (from ${source})`);
  }
  if (method === 'LOGIN' || method === 'USER' || method === 'APOP' || toSaslMechanismName(method) !== undefined) return;
  const known = protocol === 'imap' ? "'auto', 'LOGIN' or a SASL mechanism mailwire implements" : "'auto', 'USER', 'APOP' or a SASL mechanism mailwire implements";
  throw new InvalidArgumentError(`Unknown login method ${JSON.stringify(method)} (from ${source}): expected ${known}`);
}

/** The entries of `values` that are not undefined (for `exactOptionalPropertyTypes`). */
function defined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
