/**
 * The connection family: CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE, ENABLE, ID, NAMESPACE, NOOP,
 * LOGOUT, and the session set-up that strings them together (RFC 9051 sections 6.1, 6.2; RFC 4959
 * SASL-IR; RFC 5161 ENABLE; RFC 2971 ID; RFC 2342 NAMESPACE).
 *
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import {
  AuthenticationError,
  ConnectionClosedError,
  InvalidArgumentError,
  MailwireError,
  ProtocolError,
  ServerError,
  TlsError,
  UnsupportedError,
} from '../../common/errors.js';
import { callSteps } from '../../common/options.js';
import {
  chooseSaslMechanism,
  createSaslSession,
  decodeSaslChallenge,
  encodeSaslResponse,
  loginMethodNamed,
  type SaslCredentials,
  type SaslMechanismName,
} from '../../common/sasl/index.js';
import { actsAsAnotherUser, checkCredentials } from '../../common/sasl/shared.js';
import { Secret } from '../../common/secret.js';
import { responseCodeName } from '../routing.js';
import type { CoreSession, ImapCallOptions } from '../session.js';
import { astring, atom, list, nstring, raw, secret, secretRaw, str } from '../wire/command-args.js';
import type { ImapResponse, NamespaceDescriptor, TaggedStatusResponse } from '../wire/response-types.js';

/**
 * How {@link ImapCredentials} log in: `'auto'`, the LOGIN command, or a named SASL mechanism.
 * Names are matched in any case (as SASL mechanism names are): `'LOGIN'`, in any case, is always
 * the LOGIN command (RFC 9051 section 6.2.3), never AUTHENTICATE LOGIN, which only `'auto'` may pick.
 */
export type ImapLoginMethod = 'auto' | 'LOGIN' | SaslMechanismName;

/** Credentials for {@link ImapClient.login}. */
export interface ImapCredentials {
  /** The user name (LOGIN, or the SASL authentication identity). */
  readonly username: string;
  /** The password; wrapped in a {@link Secret} at once. */
  readonly password?: string | Secret | undefined;
  /** An OAuth 2.0 access token, for XOAUTH2 and OAUTHBEARER. */
  readonly accessToken?: string | Secret | undefined;
  /**
   * A SASL authorization identity, to act as another user. Only PLAIN, SCRAM, OAUTHBEARER and
   * EXTERNAL carry it; `'auto'` then picks among those, and `'LOGIN'` refuses it.
   */
  readonly authzid?: string | undefined;
  /**
   * `'auto'` (default): the strongest SASL mechanism both sides offer (SCRAM first), else LOGIN;
   * `'LOGIN'`: the LOGIN command; a SASL name: AUTHENTICATE with it.
   */
  readonly method?: ImapLoginMethod | undefined;
}

/** The namespaces of a NAMESPACE response (each empty when the server says NIL). */
export interface Namespaces {
  /** The user's own mailboxes. */
  readonly personal: readonly NamespaceDescriptor[];
  /** Other users' mailboxes. */
  readonly otherUsers: readonly NamespaceDescriptor[];
  /** Shared mailboxes. */
  readonly shared: readonly NamespaceDescriptor[];
}

/** After the greeting: capabilities, STARTTLS as the TLS mode says, then login when asked. */
export async function establish(session: CoreSession, auth: ImapCredentials | undefined): Promise<void> {
  if (!session.capabilitiesKnown) await capability(session);
  if (session.tlsMode === 'starttls' && !session.secure) {
    if (session.state === 'authenticated') {
      // PREAUTH on a clear connection: STARTTLS is only valid before authentication, so TLS is
      // impossible now (and PREAUTH is how a man in the middle strips STARTTLS).
      if (!session.allowCleartext) {
        throw new TlsError('The server greeted with PREAUTH on an unencrypted connection, so STARTTLS is impossible');
      }
    } else if (session.hasCapability('STARTTLS')) {
      try {
        await startTls(session);
      } catch (error) {
        // Refused (a tagged NO or BAD: the connection is still in clear, and as it was): with
        // cleartext allowed, go on as when STARTTLS is not offered, as POP3 does with STLS.
        if (!(session.allowCleartext && error instanceof TlsError && error.cause instanceof ServerError)) throw error;
      }
    } else if (!session.allowCleartext) {
      throw new TlsError('The server does not offer STARTTLS and allowCleartext is not set');
    }
  }
  if (auth !== undefined && session.state === 'not-authenticated') await login(session, auth);
}

/** `CAPABILITY` (RFC 9051 section 6.1.1); the core records the answer. */
export async function capability(session: CoreSession, options?: ImapCallOptions): Promise<ReadonlySet<string>> {
  await session.run({ name: 'CAPABILITY', untagged: (response) => response.kind === 'capability', done: () => undefined }, options);
  return session.capabilities;
}

/**
 * `STARTTLS` (RFC 9051 section 6.2.1): parsing stops right after the tagged OK (anything after it in
 * the same read is refused as injection), everything learnt in clear is forgotten (the core's
 * `startTls`), the handshake runs, and the capabilities are asked again over TLS.
 *
 * A call that stops waiting (aborted, timed out) once STARTTLS is sent does not upgrade on a late
 * OK: nothing would then ask the capabilities again over TLS, and the caller was told STARTTLS
 * failed. The connection is closed instead (ConnectionClosedError for the calls still pending),
 * which is simpler and safer than an upgrade nobody waits for.
 */
export async function startTls(session: CoreSession, options?: ImapCallOptions): Promise<void> {
  let upgrade: Promise<void> | undefined;
  // Set from the rejection: kept in an object so control-flow analysis does not assume it unchanged.
  const call = { stoppedWaiting: false };
  try {
    await session.run(
      {
        name: 'STARTTLS',
        exclusive: true,
        states: ['not-authenticated'],
        done: () => {
          if (call.stoppedWaiting) {
            const error = new ConnectionClosedError('Connection closed: STARTTLS was cancelled, yet the server accepted it');
            session.destroy(error);
            throw error;
          }
          upgrade = session.startTls();
        },
      },
      options,
    );
  } catch (error) {
    call.stoppedWaiting = true;
    if (error instanceof ServerError) throw new TlsError(`The server refused STARTTLS: ${error.serverText}`, { cause: error });
    throw error;
  }
  if (upgrade === undefined) throw new ProtocolError('STARTTLS accepted but no handshake started');
  await upgrade;
  // Forgotten when the OK was read: only a CAPABILITY received over TLS can make them known again.
  if (!session.capabilitiesKnown) await capability(session, options);
}

/**
 * Logs in with LOGIN or AUTHENTICATE, then makes sure the capabilities are current (from the
 * tagged OK's `[CAPABILITY]` code when present, else by asking). When that CAPABILITY fails (an
 * abort, a timeout), the call fails and the connection is closed, though the login succeeded.
 */
export async function login(session: CoreSession, credentials: ImapCredentials, options?: ImapCallOptions): Promise<void> {
  if (session.state !== 'not-authenticated') throw new InvalidArgumentError(`Cannot log in: the session is ${session.state}`);
  if (!session.secure && !session.allowCleartext) {
    throw new TlsError('Refusing to send credentials over an unencrypted connection (set allowCleartext to allow it)');
  }
  checkCredentials(credentials);
  const method = imapLoginMethod(credentials.method ?? 'auto');
  if (method === undefined) throw new InvalidArgumentError(`Unknown login method ${JSON.stringify(credentials.method)}`);
  // One timeout for the whole call, CAPABILITY and the login's commands alike.
  const step = callSteps(options ?? {});
  if (!session.capabilitiesKnown) await capability(session, step());
  const sasl: SaslCredentials = {
    username: credentials.username,
    ...(credentials.password === undefined ? {} : { password: Secret.from(credentials.password) }),
    ...(credentials.accessToken === undefined ? {} : { accessToken: Secret.from(credentials.accessToken) }),
    ...(credentials.authzid === undefined ? {} : { authzid: credentials.authzid }),
    host: session.host,
    port: session.port,
  };
  let carried: boolean;
  if (method === 'LOGIN') {
    carried = await loginCommand(session, credentials, step());
  } else if (method === 'auto') {
    const offered = [...session.capabilities].filter((name) => name.startsWith('AUTH=')).map((name) => name.slice(5));
    const mechanism = chooseSaslMechanism(offered, sasl, { allowCleartext: session.secure || session.allowCleartext });
    if (mechanism !== undefined) carried = await authenticate(session, mechanism, sasl, step());
    else if (credentials.password !== undefined && !actsAsAnotherUser(credentials)) carried = await loginCommand(session, credentials, step());
    else {
      // LOGIN has no authzid: it would log in as the user name itself.
      const why = actsAsAnotherUser(credentials) ? ' and carries the authzid (LOGIN cannot)' : '';
      throw new UnsupportedError(`No SASL mechanism the server offers (${offered.join(', ') || 'none'}) fits these credentials${why}`);
    }
  } else {
    if (!session.hasCapability(`AUTH=${method}`)) throw new UnsupportedError(`The server does not offer AUTH=${method}`);
    carried = await authenticate(session, method, sasl, step());
  }
  // The state changed when the OK was read (loggedIn): a command queued behind the login may already have run.
  if (carried) return;
  try {
    await capability(session, step());
  } catch (error) {
    // Logged in, yet the call fails (an abort, a timeout): a session its caller takes for not
    // logged in must not stay open.
    session.destroy(error instanceof MailwireError ? error : new ProtocolError('CAPABILITY after login failed', {}, { cause: error }));
    throw error;
  }
}

/**
 * The method a caller named, in any case (SASL mechanism names are case-insensitive, RFC 4422
 * section 3.1, and so are the others here): `'LOGIN'` in any case is the LOGIN command, never
 * AUTHENTICATE LOGIN. Undefined for a name that is no method mailwire implements.
 */
function imapLoginMethod(method: unknown): ImapLoginMethod | undefined {
  return loginMethodNamed(method, IMAP_COMMANDS);
}

/** The login method that is an IMAP command of its own (RFC 9051 section 6.2.3), not a SASL mechanism. */
const IMAP_COMMANDS = ['LOGIN'] as const;

/**
 * The login's tagged OK was read: the session is authenticated from this response on, before any
 * command queued behind the login is written. (A LOGIN whose call was aborted or timed out once
 * sent closes the connection instead, and a cancelled AUTHENTICATE closes it on a late OK: this is
 * not called for either.) RFC 9051 section 6.2:
 * capabilities may change after login; without a CAPABILITY code on the OK, nothing from before it
 * is trusted. Returns whether the OK carried the capabilities.
 */
function loggedIn(session: CoreSession, response: TaggedStatusResponse): boolean {
  session.setState('authenticated');
  const carried = response.code?.kind === 'CAPABILITY';
  if (!carried) session.setCapabilities(null);
  return carried;
}

/** `LOGIN user password`; resolves true when the OK carried `[CAPABILITY ...]`. */
async function loginCommand(session: CoreSession, credentials: ImapCredentials, options?: ImapCallOptions): Promise<boolean> {
  if (session.hasCapability('LOGINDISABLED')) {
    throw new UnsupportedError('The server announces LOGINDISABLED: LOGIN is not allowed on this connection');
  }
  if (credentials.password === undefined) throw new InvalidArgumentError('LOGIN needs a password');
  if (actsAsAnotherUser(credentials)) {
    throw new InvalidArgumentError('LOGIN cannot carry an authorization identity (authzid): use a SASL mechanism (PLAIN, SCRAM)');
  }
  const password = Secret.from(credentials.password);
  if (/[\r\n\0]/.test(credentials.username) || /[\0]/.test(password.reveal())) {
    throw new InvalidArgumentError('The user name or password contains characters IMAP cannot carry');
  }
  return session.run(
    {
      name: 'LOGIN',
      args: [astring(credentials.username), secret(password)],
      exclusive: true,
      authentication: true,
      logsIn: true,
      states: ['not-authenticated'],
      display: 'LOGIN',
      done: (response) => loggedIn(session, response),
    },
    options,
  );
}

/**
 * `AUTHENTICATE mechanism [initial-response]` (RFC 9051 section 6.2.2, RFC 4959 SASL-IR). A local
 * SASL failure cancels the exchange with `*` and rejects with that failure after the server's answer.
 * An abort or timeout of the call once the command is written rejects at once and cancels the
 * exchange the same way, leaving the session open (see `ImapCommand.cancel`).
 */
async function authenticate(session: CoreSession, mechanism: SaslMechanismName, credentials: SaslCredentials, options?: ImapCallOptions): Promise<boolean> {
  const sasl = createSaslSession(mechanism, credentials, session.saslOptions);
  const initial = session.hasCapability('SASL-IR') ? sasl.initialResponse() : null;
  // Set from callbacks: kept in an object so control-flow analysis does not assume it unchanged.
  const exchange: { localFailure: MailwireError | undefined; accepted: boolean; cancelled: boolean } = {
    localFailure: undefined,
    accepted: false,
    cancelled: false,
  };
  try {
    return await session.run(
      {
        name: 'AUTHENTICATE',
        args: initial === null ? [atom(mechanism)] : [atom(mechanism), secretRaw(encodeSaslResponse(initial, { initialResponse: true }))],
        exclusive: true,
        authentication: true,
        logsIn: true,
        states: ['not-authenticated'],
        display: `AUTHENTICATE ${mechanism}`,
        // The call was aborted or timed out: RFC 9051 section 6.2.2 lets the client cancel the
        // exchange by answering the server's next challenge with `*`, which the server must answer
        // with BAD; the session stays open and not authenticated.
        cancel: () => {
          exchange.cancelled = true;
          return true;
        },
        continuation: (response, context) => {
          if (exchange.localFailure !== undefined || exchange.cancelled) {
            // Cancelled (by a local failure, or by the caller), or cancelled already and the server
            // goes on instead of answering BAD: cancel (again) rather than answer the challenge.
            context.sendLine('*');
            return;
          }
          try {
            context.sendLine(encodeSaslResponse(sasl.respond(decodeSaslChallenge(response.text))));
          } catch (error) {
            // A mailwire error keeps its kind, as over POP3: a challenge that is not base64 is the
            // server breaking the protocol (ProtocolError), a bad SCRAM message a failed exchange
            // (AuthenticationError).
            exchange.localFailure =
              error instanceof MailwireError
                ? error
                : new AuthenticationError(
                    { command: `AUTHENTICATE ${mechanism}`, status: 'SASL', serverText: error instanceof Error ? error.message : String(error) },
                    { cause: error },
                  );
            context.sendLine('*');
          }
        },
        done: (response) => {
          if (exchange.cancelled) {
            // The server logged in although the caller cancelled (its OK crossed the `*`, or it
            // ignored it): the caller was told the login failed, so the session must not stay.
            const error = new ConnectionClosedError(`Connection closed: AUTHENTICATE ${mechanism} was cancelled, yet the server logged in`);
            session.destroy(error);
            throw error;
          }
          exchange.accepted = true;
          if (exchange.localFailure !== undefined) throw exchange.localFailure;
          sasl.complete(null);
          return loggedIn(session, response);
        },
      },
      options,
    );
  } catch (error) {
    if (exchange.accepted) {
      // The server said OK but did not prove itself (SCRAM): do not stay on such a server.
      session.destroy(error instanceof MailwireError ? error : new AuthenticationError({ command: `AUTHENTICATE ${mechanism}`, status: 'SASL', serverText: String(error) }));
      throw error;
    }
    if (exchange.localFailure !== undefined) throw exchange.localFailure;
    const detail = sasl.serverError;
    if (error instanceof AuthenticationError && detail !== undefined) {
      throw new AuthenticationError({
        command: error.command,
        status: error.status,
        responseCode: error.responseCode,
        responseCodeData: error.responseCodeData,
        serverText: `${error.serverText} (${detail.status}: ${detail.detail})`,
      });
    }
    throw error;
  }
}

/** `ENABLE` (RFC 5161): returns what the server enabled. */
export async function enable(session: CoreSession, extensions: readonly string[], options?: ImapCallOptions): Promise<readonly string[]> {
  if (extensions.length === 0) throw new InvalidArgumentError('ENABLE needs at least one extension');
  const enabled: string[] = [];
  await session.run(
    {
      name: 'ENABLE',
      args: extensions.map((name) => atom(name)),
      exclusive: true,
      states: ['authenticated'],
      untagged: (response) => {
        if (response.kind !== 'enabled') return false;
        for (const name of response.capabilities) enabled.push(name); // a spread of a long server list overflows the stack
        return true;
      },
      // Recorded as the OK is read: a command queued behind ENABLE (a LIST after UTF8=ACCEPT) is
      // encoded the new way, and so is every command after an ENABLE whose caller stopped waiting.
      done: () => {
        session.addEnabled(enabled);
      },
    },
    options,
  );
  return enabled;
}

/** `ID` (RFC 2971): sends the client's fields (or NIL) and returns the server's. */
export async function id(
  session: CoreSession,
  fields: Readonly<Record<string, string | null>> | null,
  options?: ImapCallOptions,
): Promise<Readonly<Record<string, string | null>> | null> {
  const entries = fields === null ? [] : Object.entries(fields);
  // RFC 2971 section 3.3: at most 30 pairs, field names of at most 30 octets, values of at most 1024.
  if (entries.length > 30) throw new InvalidArgumentError(`ID takes at most 30 fields, got ${entries.length}`);
  for (const [name, value] of entries) {
    if (Buffer.byteLength(name) > 30) throw new InvalidArgumentError(`ID field names are at most 30 octets: ${JSON.stringify(name)}`);
    if (value !== null && Buffer.byteLength(value) > 1024) throw new InvalidArgumentError(`The ID field ${JSON.stringify(name)} is over 1024 octets`);
  }
  let serverFields: Readonly<Record<string, string | null>> | null = null;
  await session.run(
    {
      name: 'ID',
      args: [entries.length === 0 ? raw('NIL') : list(...entries.flatMap(([name, value]) => [str(name), nstring(value)]))],
      untagged: (response) => {
        if (response.kind !== 'id') return false;
        serverFields = response.fields;
        return true;
      },
      done: () => undefined,
    },
    options,
  );
  return serverFields;
}

/** `NAMESPACE` (RFC 2342, RFC 9051 section 6.3.10). */
export async function namespace(session: CoreSession, options?: ImapCallOptions): Promise<Namespaces> {
  let found: Namespaces = { personal: [], otherUsers: [], shared: [] };
  await session.run(
    {
      name: 'NAMESPACE',
      states: ['authenticated', 'selected'],
      untagged: (response) => {
        if (response.kind !== 'namespace') return false;
        found = { personal: response.personal ?? [], otherUsers: response.otherUsers ?? [], shared: response.shared ?? [] };
        return true;
      },
      done: () => undefined,
    },
    options,
  );
  return found;
}

/** `NOOP`: whatever the server reports meanwhile goes to the event stream. */
export async function noop(session: CoreSession, options?: ImapCallOptions): Promise<void> {
  await session.run({ name: 'NOOP', done: () => undefined }, options);
}

/** `LOGOUT` (RFC 9051 section 6.1.3), then a graceful close; never rejects on a lost connection. */
export async function logout(session: CoreSession, options?: ImapCallOptions): Promise<void> {
  if (session.state !== 'logout') {
    try {
      await session.run(
        {
          name: 'LOGOUT',
          exclusive: true,
          // The session ends with its BYE (or, without one, its OK): nothing queued behind LOGOUT
          // will ever be sent, so those calls fail now rather than when the connection closes.
          untagged: (response) => {
            if (response.kind !== 'status' || response.status !== 'BYE') return false;
            session.endSession();
            return true;
          },
          done: () => {
            session.endSession();
          },
        },
        options,
      );
    } catch (error) {
      if (!(error instanceof MailwireError)) throw error;
    }
  }
  session.setState('logout');
  await session.closeConnection();
}

/** The error for a greeting other than OK/PREAUTH. */
export function greetingError(response: ImapResponse): MailwireError {
  if (response.kind === 'status') {
    return new ServerError({
      command: '(greeting)',
      status: response.status,
      responseCode: responseCodeName(response.code),
      responseCodeData: response.codeData,
      serverText: response.text,
    });
  }
  return new ProtocolError(`Expected a greeting, got a ${response.kind} response`);
}
