#!/usr/bin/env node
/**
 * The `mailwire` command (the package's `bin`): `mailwire demo [--url URL]`.
 *
 * @packageDocumentation
 */
import { demoMain, DEMO_USAGE } from './demo/main.js';

/**
 * Runs the command line.
 *
 * @param argv - the arguments after the program name.
 * @returns the exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const io = {
    stdout: (text: string) => process.stdout.write(text),
    stderr: (text: string) => process.stderr.write(text),
    env: process.env,
  };
  const [command, ...rest] = argv;
  if (command === 'demo') return demoMain(rest, io);
  if (command === '--help' || command === '-h') {
    io.stdout(DEMO_USAGE);
    return 0;
  }
  // A missing command is a usage error like an unknown one: the usage goes to stderr.
  if (command === undefined) {
    io.stderr(DEMO_USAGE);
    return 2;
  }
  io.stderr(`Unknown command ${JSON.stringify(command)}\n\n${DEMO_USAGE}`);
  return 2;
}

/**
 * A reader that stops early (`mailwire demo | head -1`) closes the pipe: the next write fails with
 * EPIPE, emitted on the stream, which would end the process with a stack trace. Like a command
 * killed by SIGPIPE, the command then ends at once, but quietly and with exit code 0: the reader
 * has what it wanted. A closed stderr only silences the messages still to come.
 */
function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

endQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
