#!/usr/bin/env node
// A throwaway Dovecot for the integration tests: its own config, TLS certificates, passwd file,
// Maildirs, logs and runtime folders, all in one temp folder, listening on free high ports of
// 127.0.0.1. Never reads or writes /etc/dovecot and never binds the standard ports.
//
// As a module (used by test/integration/global-setup.ts and scripts/test.mjs):
//   ensureDovecot()          installs Dovecot with apt-get when missing and running as root
//   startDovecot(options)    -> facts (host, ports, users, CA, Maildir paths ...), also written as JSON
//   stopDovecot(target)      facts object, env file, instance folder, or a folder of instances
// As a CLI:
//   node scripts/dovecot.mjs start [--facts-file FILE] [--parent DIR]   prints the facts as JSON
//   node scripts/dovecot.mjs env   [--facts-file FILE]                  prints the facts of a running one
//   node scripts/dovecot.mjs stop  [FILE_OR_DIR]                       stops it (or every one under DIR)
//   node scripts/dovecot.mjs install                                  ensureDovecot() and exit
import { spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync,
  readFileSync, rmSync, statSync, unlinkSync, writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_ENV_FILE = path.join(REPO_ROOT, '.tmp', 'dovecot', 'env.json');
/** Name of the facts file inside every instance folder. */
export const FACTS_FILE = 'mailwire-dovecot.json';
const INSTANCE_PREFIX = 'mailwire-dovecot-';

export const APT_PACKAGES = ['dovecot-imapd', 'dovecot-pop3d', 'openssl'];
export const INSTALL_COMMAND =
  `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${APT_PACKAGES.join(' ')}`;

/** Test accounts. bob's password exercises quoting (space, quotes, backslash) and 8-bit (UTF-8);
 *  carol is meant for destructive tests (quota, deleting folders). No colons: passwd-file field separator. */
export const USERS = Object.freeze({
  alice: 'alice-secret-1',
  bob: 'b0b "quoted" \\ p\u00e4ssw\u00f6rd',
  carol: 'carol-secret-3',
});

export const SPECIAL_USE = Object.freeze({
  Drafts: '\\Drafts',
  Sent: '\\Sent',
  Trash: '\\Trash',
  Junk: '\\Junk',
  Archive: '\\Archive',
});

export const QUOTA_STORAGE_KIB = 256 * 1024;
const SEPARATOR = '/';
const SEARCH_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'];

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function run(command, args, { input, allowFailure = false, env } = {}) {
  const result = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    env: env ?? process.env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0 && !allowFailure) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/** Paths of the binaries, or null for each one missing. */
export function findBinaries() {
  return { dovecot: which('dovecot'), doveadm: which('doveadm'), openssl: which('openssl') };
}

/**
 * Makes sure dovecot, doveadm and openssl exist. When one is missing and we are root, installs the
 * Debian packages without letting the system Dovecot start (policy-rc.d exit 101); otherwise throws
 * an error whose message says how to install them.
 */
export function ensureDovecot({ install = isRoot(), log = (line) => console.error(line) } = {}) {
  let found = findBinaries();
  if (found.dovecot && found.doveadm && found.openssl) return found;
  const missing = Object.entries(found).filter(([, p]) => !p).map(([name]) => name);
  if (!install) {
    throw new Error(
      `mailwire integration tests need a local Dovecot, but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed.\n` +
      `Install it (Debian/Ubuntu):\n  ${INSTALL_COMMAND}\n` +
      '(the tests start their own throwaway Dovecot; the system service is not needed and may stay stopped)\n' +
      'Or run only the unit tests: MAILWIRE_OFFLINE=1 npm test',
    );
  }
  if (!which('apt-get')) {
    throw new Error(`${missing.join(', ')} missing and apt-get is not available: install ${APT_PACKAGES.join(' ')} by hand`);
  }
  log(`[dovecot] ${missing.join(', ')} missing: installing ${APT_PACKAGES.join(' ')} with apt-get`);
  const policyPath = '/usr/sbin/policy-rc.d';
  const createdPolicy = !existsSync(policyPath);
  if (createdPolicy) writeFileSync(policyPath, '#!/bin/sh\n# written by mailwire scripts/dovecot.mjs: do not start services on install\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (update.status !== 0) throw new Error(`apt-get update failed (${update.status ?? update.signal})`);
    const inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...APT_PACKAGES], { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (inst.status !== 0) throw new Error(`apt-get install ${APT_PACKAGES.join(' ')} failed (${inst.status ?? inst.signal})`);
  } finally {
    if (createdPolicy) rmSync(policyPath, { force: true });
  }
  found = findBinaries();
  if (!found.dovecot || !found.doveadm || !found.openssl) {
    throw new Error(`installed ${APT_PACKAGES.join(' ')} but still cannot find dovecot/doveadm/openssl in PATH or ${SEARCH_DIRS.join(':')}`);
  }
  return found;
}

/** Distinct free TCP ports on 127.0.0.1 (held open together so they differ, then released). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

function mailAccount() {
  if (!isRoot()) {
    // Rootless: everything runs as the current user (Dovecot's "rootless installation").
    const info = os.userInfo();
    const group = run('id', ['-gn'], { allowFailure: true }).stdout.trim() || String(info.gid);
    return { uid: info.uid, gid: info.gid, name: info.username, group, rootless: true };
  }
  // Root: mail processes run as nobody:nogroup, which exist on every Debian system.
  const uid = Number(run('id', ['-u', 'nobody'], { allowFailure: true }).stdout.trim()) || 65534;
  const gid = Number(run('id', ['-g', 'nobody'], { allowFailure: true }).stdout.trim()) || 65534;
  return { uid, gid, name: 'nobody', group: String(gid), rootless: false };
}

/** The mail uid must be able to reach its home inside our folder: every ancestor needs o+x. */
function checkTraversable(dir, account) {
  if (account.rootless) return;
  let current = path.resolve(dir);
  for (;;) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Dovecot's mail processes run as ${account.name} (uid ${account.uid}) and cannot traverse ${current} ` +
        `(mode ${(mode & 0o777).toString(8)}). Use a parent folder that others can enter, e.g. ` +
        `MAILWIRE_DOVECOT_TMPDIR=/tmp, or chmod o+x ${current}.`,
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

function generateCertificates(openssl, tlsDir) {
  mkdirSync(tlsDir, { recursive: true });
  const p = (name) => path.join(tlsDir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(openssl, ['req', '-x509', ...ec, '-keyout', p('ca-key.pem'), '-out', p('ca.pem'), '-days', '30',
    '-subj', '/CN=mailwire test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(openssl, ['req', '-new', ...ec, '-keyout', p('server-key.pem'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(p('server.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '',
  ].join('\n'));
  run(openssl, ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem'),
    '-CAcreateserial', '-out', p('server.pem'), '-days', '30', '-extfile', p('server.ext')]);
  chmodSync(p('server-key.pem'), 0o600);
  chmodSync(p('ca-key.pem'), 0o600);
  return { caPath: p('ca.pem'), certPath: p('server.pem'), keyPath: p('server-key.pem') };
}

function renderConfig({ dir, ports, account, certs, passwdPath, logPath }) {
  const mailboxes = Object.entries(SPECIAL_USE).map(([name, flag]) =>
    `  mailbox ${name} {\n    special_use = ${flag}\n    auto = subscribe\n  }`).join('\n');
  const rootless = account.rootless ? [
    `default_internal_user = ${account.name}`,
    `default_internal_group = ${account.group}`,
    `default_login_user = ${account.name}`,
    'service anvil {\n  chroot =\n}',
    'service imap-login {\n  chroot =\n}',
    'service pop3-login {\n  chroot =\n}',
  ].join('\n') : '';
  return `# Generated by mailwire scripts/dovecot.mjs for one test run. Throwaway: do not edit.
# Start: dovecot -c ${path.join(dir, 'dovecot.conf')}   Admin: doveadm -c ${path.join(dir, 'dovecot.conf')} ...
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = ${path.basename(dir)}
protocols = imap pop3
listen = 127.0.0.1
shutdown_clients = yes

log_path = ${logPath}
info_log_path = ${logPath}
debug_log_path = ${logPath}
auth_verbose = yes
auth_verbose_passwords = no

auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 apop
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwdPath}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${passwdPath}
}

ssl = yes
ssl_cert = <${certs.certPath}
ssl_key = <${certs.keyPath}
ssl_min_protocol = TLSv1.2

first_valid_uid = ${account.uid}
last_valid_uid = ${account.uid}
first_valid_gid = ${account.gid}
last_valid_gid = ${account.gid}
mail_location = maildir:~/Maildir
mail_plugins = quota
mailbox_idle_check_interval = 1 secs

namespace inbox {
  inbox = yes
  separator = ${SEPARATOR}
${mailboxes}
}

plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=${QUOTA_STORAGE_KIB}K
}

protocol imap {
  mail_plugins = $mail_plugins imap_quota imap_zlib
  imap_idle_notify_interval = 1 secs
}
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${ports.imap}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${ports.pop3s}
    ssl = yes
  }
}
${rootless}
`;
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Resolves with the first line the server sends, over plain TCP or implicit TLS checked against the CA. */
function readGreeting({ host, port, secure, ca, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tls.connect({ host, port, ca, servername: 'localhost' })
      : net.connect({ host, port });
    let buffer = '';
    const finish = (error, line) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(line);
    };
    const timer = setTimeout(() => finish(new Error(`no greeting on port ${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end >= 0) finish(null, buffer.slice(0, end));
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`port ${port} closed before a greeting`)));
  });
}

async function waitUntilReady(facts, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const checks = [
    { port: facts.ports.imap, secure: false, expect: '* OK' },
    { port: facts.ports.imaps, secure: true, expect: '* OK' },
    { port: facts.ports.pop3, secure: false, expect: '+OK' },
    { port: facts.ports.pop3s, secure: true, expect: '+OK' },
  ];
  for (const check of checks) {
    let lastError;
    for (;;) {
      if (!isAlive(facts.pid)) {
        throw new Error(`Dovecot (pid ${facts.pid}) exited during startup.\n--- tail of ${facts.logPath} ---\n${tail(facts.logPath)}`);
      }
      try {
        const greeting = await readGreeting({ host: facts.host, port: check.port, secure: check.secure, ca: facts.ca, timeoutMs: 2000 });
        if (!greeting.startsWith(check.expect)) throw new Error(`unexpected greeting on port ${check.port}: ${greeting}`);
        break;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        throw new Error(`Dovecot did not accept on port ${check.port} within ${timeoutMs} ms: ${lastError?.message}\n` +
          `--- tail of ${facts.logPath} ---\n${tail(facts.logPath)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function writeJson(file, value) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Starts a throwaway Dovecot. Options:
 *  parentDir  where the instance folder is created (default $MAILWIRE_DOVECOT_TMPDIR or the OS temp dir)
 *  envFile    also write the facts JSON there (the instance folder always gets mailwire-dovecot.json)
 *  timeoutMs  how long to wait for all four ports to greet (default 20 s)
 *  install    allow apt-get install when missing (default: when root)
 */
export async function startDovecot({
  parentDir = process.env.MAILWIRE_DOVECOT_TMPDIR || os.tmpdir(),
  envFile,
  timeoutMs = 20_000,
  install,
} = {}) {
  const bin = ensureDovecot(install === undefined ? {} : { install });
  const account = mailAccount();
  mkdirSync(parentDir, { recursive: true });
  const dir = mkdtempSync(path.join(path.resolve(parentDir), INSTANCE_PREFIX));
  try {
    chmodSync(dir, 0o755);
    checkTraversable(dir, account);
    if (path.join(dir, 'run', 'token-login', 'tokenlogin').length > 100) {
      throw new Error(`instance folder ${dir} is too long for Dovecot's unix sockets (108 bytes); use a shorter MAILWIRE_DOVECOT_TMPDIR`);
    }
    const certs = generateCertificates(bin.openssl, path.join(dir, 'tls'));
    const logDir = path.join(dir, 'log');
    mkdirSync(logDir, { recursive: true });
    const logPath = path.join(logDir, 'dovecot.log');
    const passwdPath = path.join(dir, 'passwd');
    const users = {};
    const passwdLines = [];
    for (const [username, password] of Object.entries(USERS)) {
      const home = path.join(dir, 'home', username);
      mkdirSync(home, { recursive: true });
      if (!account.rootless) chownSync(home, account.uid, account.gid);
      // user:password:uid:gid:gecos:home:shell:extra fields (doc: AuthDatabase/PasswdFile)
      passwdLines.push(`${username}:{PLAIN}${password}:${account.uid}:${account.gid}::${home}::`);
      users[username] = { username, password, home, maildir: path.join(home, 'Maildir') };
    }
    // Readable by the auth process, which runs as the dovecot user (test passwords only).
    writeFileSync(passwdPath, `${passwdLines.join('\n')}\n`, { mode: 0o644 });
    const configPath = path.join(dir, 'dovecot.conf');
    const version = run(bin.dovecot, ['--version']).stdout.trim();

    let lastError;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [imap, imaps, pop3, pop3s] = await freePorts(4);
      const ports = { imap, imaps, pop3, pop3s };
      writeFileSync(configPath, renderConfig({ dir, ports, account, certs, passwdPath, logPath }));
      // Daemon mode: the master forks into the background and writes base_dir/master.pid.
      // Its stdio goes to a file so that nothing here waits on pipes the daemon keeps open.
      const startupLog = path.join(logDir, 'startup.log');
      const fd = openSync(startupLog, 'a');
      let status;
      try {
        status = spawnSync(bin.dovecot, ['-c', configPath], { stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      if (status.error) throw status.error;
      const pidFile = path.join(dir, 'run', 'master.pid');
      // The forked master writes its pid file a moment after the foreground process has exited.
      for (let waited = 0; status.status === 0 && !existsSync(pidFile) && waited < 5000; waited += 25) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      if (status.status !== 0 || !existsSync(pidFile)) {
        const output = `${tail(startupLog)}\n--- tail of ${logPath} ---\n${tail(logPath)}`;
        lastError = new Error(`dovecot -c ${configPath} failed (exit ${status.status ?? status.signal}):\n${output}`);
        if (/in use|EADDRINUSE/i.test(output) && attempt < 3) continue; // lost a port race: new ports
        throw lastError;
      }
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const ca = readFileSync(certs.caPath, 'utf8');
      const facts = {
        version: 1,
        dovecotVersion: version,
        host: '127.0.0.1',
        servername: 'localhost',
        ports,
        users,
        separator: SEPARATOR,
        specialUse: SPECIAL_USE,
        quotaStorageKiB: QUOTA_STORAGE_KIB,
        caPath: certs.caPath,
        ca,
        dir,
        configPath,
        logPath,
        passwdPath,
        pid,
        mailUid: account.uid,
        mailGid: account.gid,
        binaries: { dovecot: bin.dovecot, doveadm: bin.doveadm },
        factsPath: path.join(dir, FACTS_FILE),
      };
      writeJson(facts.factsPath, facts);
      try {
        await waitUntilReady(facts, timeoutMs);
      } catch (error) {
        await stopDovecot(facts, { keepFiles: true });
        throw error;
      }
      if (envFile) writeJson(envFile, facts);
      return facts;
    }
    throw lastError;
  } catch (error) {
    // Keep the folder when Dovecot got far enough to log: the log explains the failure.
    if (!existsSync(path.join(dir, 'log', 'dovecot.log'))) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Pids of every descendant of `pid` (Linux /proc), deepest last. */
function descendants(pid) {
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map();
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces and parentheses, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const result = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

function loadFacts(target) {
  if (typeof target === 'object' && target !== null) return target;
  const file = statSync(target).isDirectory() ? path.join(target, FACTS_FILE) : target;
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * Stops one instance: SIGTERM to the master (which stops its children), then SIGKILL to whatever of
 * the master and its descendants is still there after 5 s. Removes the instance folder unless keepFiles.
 * `target`: the facts object, a facts/env JSON file, or an instance folder.
 */
export async function stopDovecot(target, { keepFiles = false } = {}) {
  const facts = loadFacts(target);
  const pid = facts.pid;
  if (pid && isAlive(pid)) {
    const family = [pid, ...descendants(pid)];
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + 5000;
    while (family.some(isAlive) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const member of family) {
      if (isAlive(member)) {
        try {
          process.kill(member, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
  if (!keepFiles && facts.dir && path.basename(facts.dir).startsWith(INSTANCE_PREFIX)) {
    rmSync(facts.dir, { recursive: true, force: true });
  }
}

/** Stops every instance folder (mailwire-dovecot-*) directly under `parentDir`; returns how many. */
export async function stopAllUnder(parentDir) {
  let count = 0;
  for (const name of readdirSync(parentDir)) {
    const factsFile = path.join(parentDir, name, FACTS_FILE);
    if (name.startsWith(INSTANCE_PREFIX) && existsSync(factsFile)) {
      await stopDovecot(factsFile);
      count++;
    }
  }
  return count;
}

async function main(argv) {
  const [command = 'help', ...rest] = argv;
  const option = (name) => {
    const index = rest.indexOf(name);
    return index >= 0 ? rest[index + 1] : undefined;
  };
  const envFile = path.resolve(option('--facts-file') ?? DEFAULT_ENV_FILE);
  switch (command) {
    case 'install': {
      const found = ensureDovecot();
      console.log(JSON.stringify(found));
      return 0;
    }
    case 'start': {
      if (existsSync(envFile)) {
        const previous = JSON.parse(readFileSync(envFile, 'utf8'));
        if (isAlive(previous.pid)) {
          console.error(`[dovecot] already running (pid ${previous.pid}); facts in ${envFile}`);
          console.log(JSON.stringify(previous, null, 2));
          return 0;
        }
      }
      const facts = await startDovecot({ envFile, ...(option('--parent') ? { parentDir: option('--parent') } : {}) });
      console.error(`[dovecot] ${facts.dovecotVersion} running (pid ${facts.pid}) IMAP ${facts.ports.imap} IMAPS ${facts.ports.imaps} ` +
        `POP3 ${facts.ports.pop3} POP3S ${facts.ports.pop3s}; facts in ${envFile}`);
      console.log(JSON.stringify(facts, null, 2));
      return 0;
    }
    case 'env': {
      if (!existsSync(envFile)) {
        console.error(`[dovecot] not started: no ${envFile}`);
        return 1;
      }
      const facts = JSON.parse(readFileSync(envFile, 'utf8'));
      console.log(JSON.stringify(facts, null, 2));
      return isAlive(facts.pid) ? 0 : 1;
    }
    case 'stop': {
      const target = rest.find((arg) => !arg.startsWith('--')) ?? envFile;
      if (!existsSync(target)) {
        console.error(`[dovecot] nothing to stop: no ${target}`);
        return 0;
      }
      if (statSync(target).isDirectory() && !existsSync(path.join(target, FACTS_FILE))) {
        const count = await stopAllUnder(target);
        console.error(`[dovecot] stopped ${count} instance(s) under ${target}`);
        return 0;
      }
      await stopDovecot(target);
      if (target === envFile) unlinkSync(envFile);
      console.error(`[dovecot] stopped (${target})`);
      return 0;
    }
    default:
      console.error('usage: node scripts/dovecot.mjs start [--facts-file FILE] [--parent DIR] | env [--facts-file FILE] | stop [FILE_OR_DIR] | install');
      return command === 'help' ? 0 : 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error) => {
      console.error(`[dovecot] ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
