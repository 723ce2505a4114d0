/**
 * A POP3 server for tests that answers each command as it reads it (unlike the scripted server,
 * it need not know the order commands come in): every message is a body of about `size` bytes.
 */
import * as net from 'node:net';

export interface AnsweringServer {
  readonly port: number;
  /** The command lines received, in order. */
  readonly received: string[];
  close(): Promise<void>;
}

export interface AnsweringOptions {
  readonly count: number;
  readonly size: number;
  readonly pipelining: boolean;
  /** Whether a RETR's `+OK` says `<n> octets` (default true). */
  readonly announce?: boolean;
}

export async function startAnsweringServer(options: AnsweringOptions): Promise<AnsweringServer> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const body = (n: number): string => `${String(n % 10).repeat(78)}\r\n`.repeat(Math.ceil(options.size / 80));
  const answer = (line: string): string => {
    const [command, argument] = line.split(' ');
    switch (command) {
      case 'CAPA':
        return `+OK\r\nUSER\r\n${options.pipelining ? 'PIPELINING\r\n' : ''}.\r\n`;
      case 'STAT':
        return `+OK ${options.count} ${options.count * options.size}\r\n`;
      case 'RETR': {
        const text = body(Number(argument));
        return `+OK${options.announce === false ? '' : ` ${text.length} octets`}\r\n${text}.\r\n`;
      }
      default:
        return '+OK\r\n';
    }
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    // Answers go out as written: Nagle's wait for an ACK would add 40 ms to pipelined answers.
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.write('+OK ready\r\n');
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end !== -1; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        received.push(line);
        if (line === 'QUIT') socket.end('+OK bye\r\n');
        else socket.write(answer(line));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}
