#!/usr/bin/env node
'use strict';
// A real, single-node Apache Kafka (KRaft combined broker+controller) for tests and local
// runs, started from the Maven Central jars that fetch.sh caches: no Docker, no tarball.
//
//   node scripts/kafka/local-broker.cjs start|stop|kill|status|restart [--dir D] [--sasl] [--fresh]
//
// As a module: start(opts) / stop(dir) / kill(dir) / restart(dir) / status(dir) / readState(dir).
// Everything about one broker lives in its run dir (default .cache/kafka-run/default):
//   server.properties, log4j config, data/ (log.dirs), logs/server.log, logs/stdout.log,
//   state.json (pid, brokers, ports, version, SASL users and passwords).
// Plain CommonJS on purpose: jest global setup, the CLI and CI use it without a build step.

const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_DIR = path.join(ROOT, '.cache', 'kafka-run', 'default');
const DEFAULT_VERSION = '4.1.1';
const SASL_USERS = ['admin', 'scrubber', 'trainer', 'security', 'canary', 'sre'];
const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
// Records up to ~10 MiB are carried; the scrubber quarantines bigger ones by reference
// (DESIGN.md "Fail closed"), and tests need to produce near-limit records.
const MESSAGE_MAX_BYTES = 10 * 1024 * 1024;
const READY_TOPIC = 'sluice-broker-ready';
const HAS_PROC = fs.existsSync('/proc/self/stat');

function log(msg) {
  process.stderr.write(`local-broker: ${msg}\n`);
}

function resolveDir(dir) {
  return path.resolve(dir || process.env.SLUICE_KAFKA_DIR || DEFAULT_DIR);
}

function statePath(dir) {
  return path.join(resolveDir(dir), 'state.json');
}

/** The state.json of a run dir, or null when it was never started. */
function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(statePath(dir), 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

function writeState(dir, state) {
  const file = statePath(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  // 0600: in --sasl mode it holds the users' passwords.
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** True when pid is alive and (on Linux) really is a Kafka JVM, not a recycled pid. */
function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  if (!HAS_PROC) return true; // macOS: kill(0) is all we have
  try {
    // A zombie (exited, not yet reaped) still answers kill(0).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    // An exiting JVM has an empty cmdline but may still hold its ports: count it as alive.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline === '' || cmdline.includes('kafka.Kafka');
  } catch (err) {
    return err.code !== 'ENOENT'; // ENOENT: gone between kill(0) and here
  }
}

/** Asks the OS for a free loopback port by binding port 0. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs fetch.sh (a no-op when cached) and returns the libs dir. */
function fetchJars(version) {
  const started = Date.now();
  let out;
  try {
    out = execFileSync('bash', [path.join(__dirname, 'fetch.sh')], {
      env: { ...process.env, KAFKA_VERSION: version },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
  } catch (err) {
    throw new Error(`fetch.sh failed (exit ${err.status}); see its message above`, { cause: err });
  }
  const libs = out.trim().split('\n').pop();
  if (!libs || !fs.existsSync(libs)) throw new Error(`fetch.sh printed no libs dir (got '${out.trim()}')`);
  return { libs, ms: Date.now() - started };
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Uuid.randomUuid() makes them. */
function randomClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka rejects ids that look like a CLI flag
  }
}

/**
 * A throwaway CA and a broker certificate for 127.0.0.1 (openssl), for the SASL_SSL test broker.
 * Returns the CA (clients trust it) and the broker's PEM key store (PKCS#8 key + certificate).
 */
function makeTestCertificates(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n) => path.join(dir, n);
  const run = (args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
      '-days',
      '30',
      '-subj',
      '/CN=sluice-test-ca',
    ]);
    run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f('broker.key'),
      '-out',
      f('broker.csr'),
      '-subj',
      '/CN=127.0.0.1',
    ]);
    fs.writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run([
      'x509',
      '-req',
      '-in',
      f('broker.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('broker.crt'),
      '-days',
      '30',
      '-extfile',
      f('san.cnf'),
    ]);
    run(['pkcs8', '-topk8', '-nocrypt', '-in', f('broker.key'), '-out', f('broker.pk8')]);
  } catch (err) {
    throw new Error(
      `openssl could not make the test certificates (is openssl installed?): ${err.stderr || err.message}`,
      { cause: err },
    );
  }
  fs.writeFileSync(
    f('broker-keystore.pem'),
    fs.readFileSync(f('broker.pk8'), 'utf8') + fs.readFileSync(f('broker.crt'), 'utf8'),
    { mode: 0o600 },
  );
  return { caFile: f('ca.pem'), keystoreFile: f('broker-keystore.pem') };
}

function major(version) {
  return Number(version.split('.')[0]);
}

function serverProperties(state) {
  const { dir, ports, sasl, tls } = state;
  const p = [];
  const set = (k, v) => p.push(`${k}=${v}`);
  set('process.roles', 'broker,controller');
  set('node.id', 1);
  set('controller.quorum.voters', `1@127.0.0.1:${ports.controller}`);
  set('controller.listener.names', 'CONTROLLER');
  if (sasl) {
    // Every client, and the broker itself (transaction markers go over the inter-broker
    // listener even on one node), authenticates with SCRAM. The controller listener stays
    // PLAINTEXT (KRaft cannot use SCRAM there: the credentials live in the metadata log it
    // serves), so its principal ANONYMOUS must be a super user; clients cannot use it.
    // With tls: SASL_SSL (SCRAM over TLS, what docs/security.md recommends), else SASL_PLAINTEXT.
    const name = tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
    set('listeners', `${name}://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller}`);
    set('advertised.listeners', `${name}://127.0.0.1:${ports.broker}`);
    set('listener.security.protocol.map', `CONTROLLER:PLAINTEXT,${name}:${name}`);
    set('inter.broker.listener.name', name);
    if (tls) {
      // PEM key store and trust store (KIP-651): the broker's key and certificate (SAN
      // IP:127.0.0.1, signed by a throwaway CA made at format time), and that CA for its own
      // inter-broker connections; hostname verification stays on.
      set('ssl.keystore.type', 'PEM');
      set('ssl.keystore.location', tls.keystoreFile);
      set('ssl.truststore.type', 'PEM');
      set('ssl.truststore.location', tls.caFile);
    }
    set('sasl.enabled.mechanisms', SCRAM_MECHANISMS.join(','));
    set('sasl.mechanism.inter.broker.protocol', 'SCRAM-SHA-512');
    // Every enabled mechanism needs a JAAS entry on the listener; the username/password is
    // what the broker itself uses as an inter-broker client (the server side reads SCRAM
    // credentials from the metadata log).
    for (const mech of SCRAM_MECHANISMS) {
      set(
        `listener.name.${name.toLowerCase()}.${mech.toLowerCase()}.sasl.jaas.config`,
        `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${sasl.users.admin}";`,
      );
    }
    set(
      'authorizer.class.name',
      major(state.version) >= 3
        ? 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'
        : 'kafka.security.authorizer.AclAuthorizer',
    );
    set('allow.everyone.if.no.acl.found', 'false');
    set('super.users', 'User:admin;User:ANONYMOUS');
  } else {
    set('listeners', `PLAINTEXT://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller}`);
    set('advertised.listeners', `PLAINTEXT://127.0.0.1:${ports.broker}`);
    set('listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT');
    set('inter.broker.listener.name', 'PLAINTEXT');
  }
  set('log.dirs', path.join(dir, 'data'));
  // Test-friendly: one node, tiny internal topics (fast start), no rebalance delay,
  // short sessions allowed, timed-out transactions aborted within seconds.
  set('num.partitions', 1);
  set('default.replication.factor', 1);
  set('min.insync.replicas', 1);
  set('auto.create.topics.enable', 'false');
  set('offsets.topic.replication.factor', 1);
  set('offsets.topic.num.partitions', 5);
  set('transaction.state.log.replication.factor', 1);
  set('transaction.state.log.min.isr', 1);
  set('transaction.state.log.num.partitions', 5);
  set('transaction.abort.timed.out.transaction.cleanup.interval.ms', 5000);
  set('transaction.remove.expired.transaction.cleanup.interval.ms', 60000);
  set('group.initial.rebalance.delay.ms', 0);
  set('group.min.session.timeout.ms', 500);
  // After a SIGKILL the restarted broker cannot re-register until the controller expires
  // its old session (default 9 s); chaos tests bounce the broker often.
  set('broker.heartbeat.interval.ms', 500);
  set('broker.session.timeout.ms', 4000);
  set('message.max.bytes', MESSAGE_MAX_BYTES);
  set('replica.fetch.max.bytes', MESSAGE_MAX_BYTES);
  // Two shared cores: fewer threads than the defaults, and a smaller compaction buffer
  // (the default 128 MiB is allocated up front; compacted changelog topics are small here).
  set('num.network.threads', 2);
  set('num.io.threads', 4);
  set('background.threads', 4);
  set('log.cleaner.dedupe.buffer.size', 32 * 1024 * 1024);
  set('log.cleaner.backoff.ms', 5000);
  return p.join('\n') + '\n';
}

function log4jConfig(state) {
  const logFile = path.join(state.dir, 'logs', 'server.log');
  const level = process.env.KAFKA_LOG_LEVEL || 'WARN';
  // Startup/shutdown milestones at INFO so a slow or failed start can be read from the file.
  const infoLoggers = [
    'kafka.Kafka',
    'kafka.server.KafkaRaftServer',
    'kafka.server.BrokerServer',
    'kafka.server.ControllerServer',
  ];
  if (major(state.version) >= 4) {
    const lines = [
      'status = warn',
      'name = sluice-local-kafka',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${logFile}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${level}`,
      'rootLogger.appenderRef.file.ref = FILE',
    ];
    infoLoggers.forEach((name, i) => {
      lines.push(`logger.l${i}.name = ${name}`, `logger.l${i}.level = INFO`);
    });
    return {
      file: 'log4j2.properties',
      text: lines.join('\n') + '\n',
      sysprop: `-Dlog4j2.configurationFile=`,
    };
  }
  const lines = [
    `log4j.rootLogger=${level}, FILE`,
    'log4j.appender.FILE=org.apache.log4j.FileAppender',
    `log4j.appender.FILE.File=${logFile}`,
    'log4j.appender.FILE.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.FILE.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ...infoLoggers.map((name) => `log4j.logger.${name}=INFO`),
  ];
  return { file: 'log4j.properties', text: lines.join('\n') + '\n', sysprop: `-Dlog4j.configuration=file:` };
}

function javaBaseArgs(state) {
  const heap = (process.env.KAFKA_HEAP_OPTS || '-Xms256m -Xmx1g').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${path.join(state.dir, 'logs')}`,
    '-cp',
    path.join(state.libs, '*'),
  ];
}

function validateSecret(name, password) {
  // The --add-scram argument is a bracketed key=value list; keep it unambiguous.
  if (!/^[A-Za-z0-9._~+-]{1,128}$/.test(name) || !/^[A-Za-z0-9._~+\-/@#%^*!]{6,256}$/.test(password)) {
    throw new Error(
      `SASL user '${name}': names and passwords must be plain (letters, digits, ._~+-; passwords also /@#%^*!), 6+ chars`,
    );
  }
}

function formatStorage(state, configFile) {
  const args = [
    ...javaBaseArgs(state),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    state.clusterId,
    '-c',
    configFile,
  ];
  if (state.sasl) {
    // KIP-900: SCRAM users go into the bootstrap metadata at format time, so the broker
    // can authenticate itself (inter-broker SCRAM) from its first start.
    for (const [name, password] of Object.entries(state.sasl.users)) {
      for (const mech of SCRAM_MECHANISMS)
        args.push('--add-scram', `${mech}=[name=${name},password=${password}]`);
    }
  }
  const log4j = log4jConfig(state);
  args.unshift(`${log4j.sysprop}${path.join(state.dir, log4j.file)}`);
  try {
    execFileSync('java', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    // No `cause`: err.message holds the command line, i.e. the SCRAM passwords. Passwords
    // are masked in the tool's output too in case it echoes an argument.
    let output = String(err.stderr || err.stdout || '')
      .trim()
      .slice(0, 2000);
    for (const password of Object.values(state.sasl ? state.sasl.users : {}))
      output = output.split(password).join('***');
    // eslint-disable-next-line preserve-caught-error -- see above: the cause would leak passwords
    throw new Error(`kafka-storage format failed (exit ${err.status}): ${output}`);
  }
}

function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no file)';
  }
}

/** kafkajs client config for a started broker (optionally as one of the --sasl users). */
function clientConfig(state, user, clientId) {
  const config = { clientId: clientId || 'sluice-local-broker', brokers: state.brokers.split(',') };
  if (state.sasl) {
    const username = user || 'admin';
    const password = state.sasl.users[username];
    if (!password) throw new Error(`no SASL user '${username}' on this broker`);
    config.sasl = { mechanism: 'scram-sha-512', username, password };
  }
  if (state.tls) config.ssl = { ca: [fs.readFileSync(state.tls.caFile, 'utf8')] };
  return config;
}

async function withDeadline(what, deadline, attempt, isDead) {
  let lastErr;
  for (;;) {
    if (isDead && isDead()) throw new Error(`${what}: the broker process exited`);
    try {
      return await attempt();
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not ready before the deadline (last error: ${lastErr && lastErr.message})`);
    await sleep(250);
  }
}

/**
 * Waits until a broker answers metadata requests and its transaction and group
 * coordinators can InitProducerId, sendOffsets and commit (a broker that "answers" is not yet one that can run our
 * exactly-once path: the __transaction_state partitions come online after that).
 * Exported so the jest setup can use it on a testcontainers broker too.
 */
async function waitUntilReady(config, { timeoutMs = 60000, isDead } = {}) {
  const { Kafka, logLevel } = require('kafkajs');
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({
    ...config,
    logLevel: logLevel.NOTHING, // connection refused is expected while the JVM starts
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    connectionTimeout: 2000,
  });
  const t0 = Date.now();
  const admin = kafka.admin();
  try {
    await withDeadline(
      'metadata',
      deadline,
      async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (!cluster.brokers.length || cluster.controller === null)
          throw new Error('no broker or controller yet');
      },
      isDead,
    );
    const metadataMs = Date.now() - t0;
    await withDeadline(
      'ready topic',
      deadline,
      async () => {
        const topics = await admin.listTopics();
        if (!topics.includes(READY_TOPIC)) {
          await admin.createTopics({
            topics: [{ topic: READY_TOPIC, numPartitions: 1 }],
            waitForLeaders: true,
          });
        }
      },
      isDead,
    );
    await withDeadline(
      'transaction coordinator',
      deadline,
      async () => {
        const producer = kafka.producer({
          transactionalId: `sluice-broker-ready-${process.pid}`,
          idempotent: true,
          maxInFlightRequests: 1,
        });
        try {
          await producer.connect();
          const txn = await producer.transaction();
          try {
            await txn.send({ topic: READY_TOPIC, messages: [{ value: 'ready' }] });
            // Also exercises the group coordinator: the first group request creates
            // __consumer_offsets, which would otherwise slow down (and flake) the first test.
            await txn.sendOffsets({
              consumerGroupId: READY_TOPIC,
              topics: [{ topic: READY_TOPIC, partitions: [{ partition: 0, offset: '1' }] }],
            });
            await txn.commit();
          } catch (err) {
            await txn.abort().catch(() => undefined);
            throw err;
          }
        } finally {
          await producer.disconnect().catch(() => undefined);
        }
      },
      isDead,
    );
    return { metadataMs, txnMs: Date.now() - t0 - metadataMs };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Starts a broker in opts.dir (reusing its data, ports and users when the dir was used
 * before) and resolves once it is ready for transactions. Resolves with the state.
 * opts: { dir, sasl, users: {name: password}, version, fresh, readyTimeoutMs, reuse }
 * When a broker already runs in dir: resolves with its state if opts.reuse (the default),
 * otherwise throws.
 */
async function start(opts = {}) {
  const t0 = Date.now();
  const dir = resolveDir(opts.dir);
  const previous = readState(dir);
  if (previous && isAlive(previous.pid)) {
    if (opts.reuse === false) throw new Error(`a broker already runs in ${dir} (pid ${previous.pid})`);
    log(`already running: pid ${previous.pid} at ${previous.brokers} (${dir})`);
    return previous;
  }
  if (opts.fresh && fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  const formatted = fs.existsSync(path.join(dir, 'data', 'meta.properties'));
  // A formatted dir is restarted as it was: same ports (clients and tests hold them), same
  // cluster id, same SASL users; a new version or mode on old data would not start anyway.
  const reuseOld = Boolean(formatted && previous);
  const version = reuseOld ? previous.version : opts.version || process.env.KAFKA_VERSION || DEFAULT_VERSION;
  const wantSasl = reuseOld ? Boolean(previous.sasl) : Boolean(opts.sasl);
  if (reuseOld && opts.sasl !== undefined && Boolean(opts.sasl) !== wantSasl) {
    throw new Error(
      `${dir} was formatted ${wantSasl ? 'with' : 'without'} --sasl; use --fresh to start over`,
    );
  }
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });

  const fetched = fetchJars(version);
  let ports;
  if (reuseOld) {
    ports = previous.ports;
    for (const port of [ports.broker, ports.controller]) {
      // The kernel may need a moment to release a killed process's listening sockets.
      const until = Date.now() + 5000;
      while (!(await portIsFree(port)) && Date.now() < until) await sleep(100);
      if (!(await portIsFree(port)))
        throw new Error(
          `port ${port} of ${dir} is taken by another process; cannot restart on the same ports`,
        );
    }
  } else {
    ports = { broker: await freePort(), controller: await freePort() };
    while (ports.controller === ports.broker) ports.controller = await freePort();
  }
  const wantTls = reuseOld ? Boolean(previous.tls) : Boolean(opts.tls);
  if (wantTls && !wantSasl) throw new Error('--tls needs --sasl (the TLS listener is SASL_SSL)');
  const tls = wantTls ? (reuseOld ? previous.tls : makeTestCertificates(path.join(dir, 'tls'))) : null;
  let sasl = null;
  if (wantSasl) {
    if (reuseOld) sasl = previous.sasl;
    else {
      const users = {};
      for (const name of SASL_USERS) users[name] = crypto.randomBytes(12).toString('hex');
      Object.assign(users, opts.users || {});
      for (const [name, password] of Object.entries(users)) validateSecret(name, password);
      sasl = { mechanisms: SCRAM_MECHANISMS, clientMechanism: 'scram-sha-512', users };
    }
  }
  const state = {
    kind: 'local',
    pid: null,
    brokers: `127.0.0.1:${ports.broker}`,
    ports,
    version,
    dir,
    clusterId: reuseOld ? previous.clusterId : randomClusterId(),
    libs: fetched.libs,
    sasl,
    tls,
    messageMaxBytes: MESSAGE_MAX_BYTES,
    serverLog: path.join(dir, 'logs', 'server.log'),
    stdoutLog: path.join(dir, 'logs', 'stdout.log'),
    startedAt: null,
  };

  const configFile = path.join(dir, 'server.properties');
  fs.writeFileSync(configFile, serverProperties(state), { mode: 0o600 });
  const log4j = log4jConfig(state);
  const log4jFile = path.join(dir, log4j.file);
  fs.writeFileSync(log4jFile, log4j.text);

  const tFormat = Date.now();
  if (!formatted) formatStorage(state, configFile);
  const formatMs = Date.now() - tFormat;

  const out = fs.openSync(state.stdoutLog, 'a');
  const child = spawn(
    'java',
    [`${log4j.sysprop}${log4jFile}`, ...javaBaseArgs(state), 'kafka.Kafka', configFile],
    {
      cwd: dir,
      detached: true, // own process group: survives the CLI, and stop() signals the whole group
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (err) => {
    exited = { error: err.message };
  });
  child.unref();
  state.pid = child.pid;
  state.startedAt = new Date().toISOString();
  writeState(dir, state);

  let ready;
  try {
    ready = await waitUntilReady(clientConfig(state), {
      timeoutMs: opts.readyTimeoutMs || 60000,
      isDead: () => exited !== null,
    });
  } catch (err) {
    const why = exited ? ` (java exited: ${JSON.stringify(exited)})` : '';
    const logs = `--- ${state.serverLog} (tail)\n${tail(state.serverLog, 30)}\n--- ${state.stdoutLog} (tail)\n${tail(state.stdoutLog, 30)}`;
    if (!exited) await stop(dir, { quiet: true }).catch(() => undefined);
    throw new Error(`Kafka ${version} in ${dir} did not become ready: ${err.message}${why}\n${logs}`, {
      cause: err,
    });
  }
  state.readyMs = Date.now() - t0;
  writeState(dir, state);
  log(
    `Kafka ${version}${sasl ? (tls ? ' (SASL/SCRAM over TLS)' : ' (SASL/SCRAM)') : ''} ready at ${state.brokers} pid ${state.pid} in ${(state.readyMs / 1000).toFixed(1)}s` +
      ` (jars ${fetched.ms}ms, format ${formatted ? 'kept' : formatMs + 'ms'}, metadata ${ready.metadataMs}ms, transactions +${ready.txnMs}ms)`,
  );
  return state;
}

async function waitForExit(pid, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal); // the JVM leads its own group (detached spawn)
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Graceful stop: SIGTERM (controlled shutdown), SIGKILL after timeoutMs (default 20 s). */
async function stop(dir, { timeoutMs = 20000, quiet = false } = {}) {
  dir = resolveDir(dir);
  const state = readState(dir);
  if (!state || !isAlive(state.pid)) {
    if (!quiet) log(`not running (${dir})`);
    if (state && state.pid) writeState(dir, { ...state, pid: null });
    return { stopped: false };
  }
  const t0 = Date.now();
  signalGroup(state.pid, 'SIGTERM');
  let how = 'SIGTERM';
  if (!(await waitForExit(state.pid, timeoutMs))) {
    signalGroup(state.pid, 'SIGKILL');
    await waitForExit(state.pid, 5000);
    how = 'SIGKILL after SIGTERM timeout';
  }
  writeState(dir, { ...state, pid: null, stoppedAt: new Date().toISOString() });
  if (!quiet) log(`stopped pid ${state.pid} (${how}) in ${Date.now() - t0}ms`);
  return { stopped: true, ms: Date.now() - t0, how };
}

/** Crash-like stop: SIGKILL, no controlled shutdown (for failure tests). */
async function kill(dir) {
  dir = resolveDir(dir);
  const state = readState(dir);
  if (!state || !isAlive(state.pid)) return { killed: false };
  signalGroup(state.pid, 'SIGKILL');
  await waitForExit(state.pid, 5000);
  writeState(dir, { ...state, pid: null, stoppedAt: new Date().toISOString() });
  return { killed: true };
}

/** Stop (or kill, with {hard: true}) then start again on the same ports and data. */
async function restart(dir, opts = {}) {
  dir = resolveDir(dir);
  const state = readState(dir);
  if (!state) throw new Error(`nothing to restart in ${dir} (no state.json)`);
  if (opts.hard) await kill(dir);
  else await stop(dir, { quiet: true });
  return start({ ...opts, dir, reuse: false });
}

function status(dir) {
  dir = resolveDir(dir);
  const state = readState(dir);
  if (!state) return { dir, running: false, state: null };
  return { dir, running: isAlive(state.pid), state };
}

module.exports = {
  DEFAULT_DIR,
  DEFAULT_VERSION,
  SASL_USERS,
  MESSAGE_MAX_BYTES,
  start,
  stop,
  kill,
  restart,
  status,
  readState,
  isAlive,
  clientConfig,
  waitUntilReady,
  freePort,
};

async function main(argv) {
  const [cmd, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--dir') opts.dir = rest[++i];
    else if (a === '--sasl') opts.sasl = true;
    else if (a === '--tls') opts.tls = true;
    else if (a === '--fresh') opts.fresh = true;
    else if (a === '--hard') opts.hard = true;
    else if (a === '--version') opts.version = rest[++i];
    else throw new Error(`unknown option ${a}`);
  }
  switch (cmd) {
    case 'start': {
      const s = await start(opts);
      process.stdout.write(`${s.brokers}\n`);
      return 0;
    }
    case 'stop':
      await stop(opts.dir);
      return 0;
    case 'kill': {
      const r = await kill(opts.dir);
      log(r.killed ? 'killed' : 'not running');
      return 0;
    }
    case 'restart': {
      const s = await restart(opts.dir, opts);
      process.stdout.write(`${s.brokers}\n`);
      return 0;
    }
    case 'status': {
      const s = status(opts.dir);
      // Passwords stay in state.json (mode 0600); status shows only the user names.
      const shown =
        s.state && s.state.sasl
          ? { ...s.state, sasl: { ...s.state.sasl, users: Object.keys(s.state.sasl.users) } }
          : s.state;
      process.stdout.write(
        JSON.stringify({ running: s.running, dir: s.dir, ...(shown || {}) }, null, 2) + '\n',
      );
      return s.running ? 0 : 3;
    }
    default:
      process.stderr.write(
        'usage: node scripts/kafka/local-broker.cjs start|stop|kill|status|restart [--dir D] [--sasl [--tls]] [--fresh] [--hard] [--version V]\n',
      );
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      log(err.message);
      process.exit(1);
    },
  );
}
