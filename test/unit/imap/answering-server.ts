import * as net from 'node:net';

export interface AutoServer {
  readonly port: number;
  readonly received: string[];
  socket(): net.Socket | undefined;
  close(): Promise<void>;
}

/** An IMAP test server answering each client line as it reads it (the scripted server needs the order known in advance), answering with what `handler` returns (lines, CRLF added). */
export async function autoServer(greeting: string, handler: (line: string, write: (...lines: string[]) => void, received: string[]) => void): Promise<AutoServer> {
  const received: string[] = [];
  let conn: net.Socket | undefined;
  const server = net.createServer((socket) => {
    conn = socket;
    socket.on('error', () => undefined);
    const write = (...lines: string[]): void => {
      if (!socket.destroyed) socket.write(lines.map((l) => `${l}\r\n`).join(''));
    };
    write(greeting);
    let buf = '';
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (let lf = buf.indexOf('\n'); lf !== -1; lf = buf.indexOf('\n')) {
        const line = buf.slice(0, lf).replace(/\r$/, '');
        buf = buf.slice(lf + 1);
        received.push(line);
        handler(line, write, received);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    socket: () => conn,
    close: async () => {
      conn?.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

/** A simple IMAP responder: LOGIN, SELECT, NOOP, IDLE/DONE. */
export function basicImap(caps = 'IMAP4rev1 IDLE'): (line: string, write: (...lines: string[]) => void) => void {
  let idleTag: string | undefined;
  return (line, write) => {
    if (line === 'DONE') {
      if (idleTag !== undefined) write(`${idleTag} OK Idle completed`);
      idleTag = undefined;
      return;
    }
    const [tag, cmd] = line.split(' ');
    switch (cmd) {
      case 'LOGIN': write(`${tag} OK [CAPABILITY ${caps}] Logged in`); break;
      case 'SELECT': write('* 3 EXISTS', '* OK [UIDVALIDITY 1] x', `${tag} OK [READ-WRITE] done`); break;
      case 'IDLE': idleTag = tag; write('+ idling'); break;
      case 'LOGOUT': write('* BYE bye', `${tag} OK`); break;
      default: write(`${tag} OK done`);
    }
  };
}
