// Starts the Accord suite for one test run, the way scripts/up.sh starts it but scoped to the
// test: a fresh database on the test PostgreSQL (ACCORD_TEST_PG_URL), the test Redis
// (ACCORD_TEST_REDIS_URL), every service and accord-gateway on free loopback ports, the gateway
// serving the built console ($BUILD_DIR/web). Logs go to <out>/logs; stop() ends what it started.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const SERVICES = ['account', 'contact', 'pricing-terms', 'service-quality'];

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tests through scripts/test.sh -L e2e`);
  return value;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const b64url = (data) => Buffer.from(data).toString('base64url');

// An HS256 token as accordctl's `token` command makes it (same claims, same checks).
export function mintToken({ secret, issuer, audience }, subject, roles, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub: subject, roles, territories: [], iss: issuer, aud: audience, iat: now, exp: now + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

export async function startSuite({ buildDir, outDir, serviceEnv = {} }) {
  const pgAdminUrl = need('ACCORD_TEST_PG_URL');
  const redisUrl = need('ACCORD_TEST_REDIS_URL');
  const pgBin = process.env.ACCORD_PG_BIN || '/usr/lib/postgresql/15/bin';
  const staticDir = path.join(buildDir, 'web');
  const binaries = Object.fromEntries(
    [...SERVICES, 'gateway'].map((name) => [name, path.join(buildDir, 'services', name, `accord-${name}`)]),
  );
  for (const [name, bin] of Object.entries(binaries)) {
    if (!existsSync(bin)) throw new Error(`${name} is not built (${bin}): cmake --build ${buildDir} --target accord-${name}`);
  }
  if (!existsSync(path.join(staticDir, 'index.html'))) throw new Error(`the console is not built (${staticDir}): scripts/build.sh builds it`);

  const logDir = path.join(outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const database = `accord_e2e_${process.pid}_${Date.now().toString(36)}`;
  const psql = (sql) => execFileSync(path.join(pgBin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', pgAdminUrl, '-c', sql], { stdio: 'pipe' });
  psql(`CREATE DATABASE ${database}`);
  const pgUrl = pgAdminUrl.replace(/\/[^/?]*(\?|$)/, `/${database}$1`);

  const jwt = { secret: randomBytes(32).toString('hex'), issuer: 'accord-e2e', audience: 'accord' };
  const ports = {};
  for (const name of [...SERVICES, 'gateway']) ports[name] = { grpc: await freePort(), metrics: await freePort() };
  const httpPort = await freePort();
  const common = {
    ACCORD_PG_URL: pgUrl,
    ACCORD_REDIS_URL: redisUrl,
    ACCORD_JWT_ALGORITHM: 'HS256',
    ACCORD_JWT_SECRET: jwt.secret,
    ACCORD_JWT_ISSUER: jwt.issuer,
    ACCORD_JWT_AUDIENCE: jwt.audience,
    ACCORD_PAGE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    ACCORD_LOG_LEVEL: 'info',
    ACCORD_CONTACT_PII_KEYS: `e2e1:${randomBytes(32).toString('base64')}`,
    ACCORD_CONTACT_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    ACCORD_ACCOUNT_ADDRESS: `127.0.0.1:${ports.account.grpc}`,
    ACCORD_CONTACT_ADDRESS: `127.0.0.1:${ports.contact.grpc}`,
    ACCORD_PRICING_TERMS_ADDRESS: `127.0.0.1:${ports['pricing-terms'].grpc}`,
    ACCORD_SERVICE_QUALITY_ADDRESS: `127.0.0.1:${ports['service-quality'].grpc}`,
    ...serviceEnv,
  };
  const children = [];
  const run = (name, args, env) => {
    const log = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(binaries[name], args, { env: { PATH: process.env.PATH, ...common, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.name = name;
    return child;
  };
  const waitExit = (child) => new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  async function waitPort(child, port, what) {
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${child.name} exited (${child.exitCode}) during start-up; see ${logDir}/${child.name}.log`);
      if (await canConnect(port)) return;
      await sleep(100);
    }
    throw new Error(`${what} did not listen on ${port} within 60 s`);
  }

  const suite = {
    baseUrl: `http://127.0.0.1:${httpPort}`,
    jwt,
    logDir,
    token: (subject, roles) => mintToken(jwt, subject, roles),
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
          await waitExit(child);
          clearTimeout(timer);
        }),
      );
      try {
        psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } catch (err) {
        console.error(`could not drop ${database}: ${err.message}`);
      }
    },
  };
  try {
    for (const name of SERVICES) {
      const env = { ACCORD_GRPC_ADDRESS: `127.0.0.1:${ports[name].grpc}`, ACCORD_METRICS_ADDRESS: `127.0.0.1:${ports[name].metrics}` };
      const migrate = run(name, ['migrate'], env);
      const code = await waitExit(migrate);
      if (code !== 0) throw new Error(`${name} migrate failed (${code}); see ${logDir}/${name}.log`);
      const child = run(name, [], env);
      children.push(child);
      await waitPort(child, ports[name].grpc, name);
    }
    const gateway = run('gateway', [], {
      ACCORD_GRPC_ADDRESS: `127.0.0.1:${ports.gateway.grpc}`,
      ACCORD_METRICS_ADDRESS: `127.0.0.1:${ports.gateway.metrics}`,
      ACCORD_GATEWAY_HTTP_ADDRESS: `127.0.0.1:${httpPort}`,
      ACCORD_GATEWAY_STATIC_DIR: staticDir,
    });
    children.push(gateway);
    await waitPort(gateway, httpPort, 'gateway');
  } catch (err) {
    await suite.stop();
    throw err;
  }
  return suite;
}
