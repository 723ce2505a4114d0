/**
 * A scripted, byte-level fake IMAP server for the command-family tests: a real TCP listener on
 * 127.0.0.1 that plays a transcript. `S: text` lines are sent (CRLF added), `C: text` lines must
 * arrive exactly (CRLF added); anything else fails the script. The client under test is the real
 * ImapClient, connected without TLS.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { ImapClient, type ImapLimits } from '../../../src/imap/client.js';

/**
 * One step: `'S: ...'` (server sends), `'C: ...'` (client must send), raw bytes either way, or
 * `{ quiet: ms }`: the client must send nothing for that long (e.g. no literal before the `+`).
 */
export type Step =
  | string
  | { readonly client: string | Uint8Array }
  | { readonly server: string | Uint8Array }
  | { readonly quiet: number };

export interface FakeServer {
  readonly port: number;
  /** Resolves when every step was played; rejects on the first mismatch. */
  readonly done: Promise<void>;
  /** Everything the client sent so far, decoded as latin1. */
  readonly received: () => string;
  readonly close: () => Promise<void>;
}

function toBuffer(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/** Starts a server that plays `steps` to the first client that connects. */
export async function fakeServer(steps: readonly Step[]): Promise<FakeServer> {
  let input = Buffer.alloc(0);
  let all = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let socket: net.Socket | undefined;
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  done.catch(() => undefined);

  const play = async (connection: net.Socket): Promise<void> => {
    for (const step of steps) {
      let send: Buffer | undefined;
      let expect: Buffer | undefined;
      if (typeof step === 'string') {
        const body = step.slice(3);
        if (step.startsWith('S: ')) send = Buffer.from(`${body}\r\n`, 'utf8');
        else if (step.startsWith('C: ')) expect = Buffer.from(`${body}\r\n`, 'utf8');
        else throw new Error(`Bad script step ${JSON.stringify(step)}`);
      } else if ('quiet' in step) {
        await new Promise((resolve) => setTimeout(resolve, step.quiet));
        if (input.length > 0) throw new Error(`Client sent ${JSON.stringify(input.toString('latin1'))} where it had to wait`);
        continue;
      } else if ('server' in step) {
        send = toBuffer(step.server);
      } else {
        expect = toBuffer(step.client);
      }
      if (send !== undefined) {
        connection.write(send);
        continue;
      }
      const wanted = expect!;
      const deadline = Date.now() + 3000;
      while (input.length < wanted.length && input.equals(wanted.subarray(0, input.length)) && !connection.destroyed && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      const got = input.subarray(0, wanted.length);
      if (!got.equals(wanted)) {
        throw new Error(`Client sent ${JSON.stringify(input.toString('latin1'))}, expected ${JSON.stringify(wanted.toString('latin1'))}`);
      }
      input = input.subarray(wanted.length);
    }
  };

  const server = net.createServer((connection) => {
    if (socket !== undefined) {
      connection.destroy();
      return;
    }
    socket = connection;
    connection.on('data', (chunk: Buffer) => {
      input = Buffer.concat([input, chunk]);
      all = Buffer.concat([all, chunk]);
      wake?.();
    });
    connection.on('error', () => undefined);
    connection.on('close', () => wake?.());
    play(connection).then(settle.resolve, (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      settle.reject(failure);
      // Tell the client why (the test then fails with this text), then hang up.
      connection.end(`* BYE [CLIENTBUG] script mismatch: ${failure.message.replace(/[\r\n]/g, ' ')}\r\n`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    done,
    received: () => all.toString('latin1'),
    close: async () => {
      socket?.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

/** The PREAUTH greeting with these capabilities (the client is authenticated at once). */
export function greeting(capabilities: string): string {
  return `S: * PREAUTH [CAPABILITY IMAP4rev1 ${capabilities}] fake server ready`;
}

/** SELECT INBOX as the command with tag `tag`: the client is then in the selected state. */
export function selectInbox(tag: string, exists = 3): Step[] {
  return [
    `C: ${tag} SELECT INBOX`,
    'S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
    `S: * ${exists} EXISTS`,
    'S: * OK [UIDVALIDITY 1700000000] UIDs valid',
    'S: * OK [UIDNEXT 100] Predicted next UID',
    `S: ${tag} OK [READ-WRITE] Select completed`,
  ];
}

export interface Scripted {
  readonly client: ImapClient;
  readonly server: FakeServer;
  /** Waits for the script's end, then closes both sides. */
  readonly finish: () => Promise<void>;
}

/** Starts a fake server with `steps` and connects a real ImapClient to it (no TLS). */
export async function scripted(steps: readonly Step[], options: { select?: boolean; limits?: ImapLimits } = {}): Promise<Scripted> {
  const server = await fakeServer(steps);
  const client = new ImapClient({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, commandTimeout: 5000, limits: options.limits });
  await client.connect();
  if (options.select === true) await client.select('INBOX');
  return {
    client,
    server,
    finish: async () => {
      try {
        await server.done;
      } finally {
        client.destroy();
        await server.close();
      }
    },
  };
}
