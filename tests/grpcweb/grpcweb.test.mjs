// The standard grpc-web client from npm (@improbable-eng/grpc-web with its Node transport) calls
// the Accord services through accord-gateway: unary calls (create, read, refused ones with their
// gRPC status) and a server stream (Subscribe), as a browser's generated client would. The
// messages are the services' own protos, loaded with protobufjs; the suite (every service and the
// gateway on free ports) is the console e2e's (tests/e2e/suite.mjs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpcWeb from '@improbable-eng/grpc-web';
import nodeTransport from '@improbable-eng/grpc-web-node-http-transport';
import protobuf from 'protobufjs';
import { startSuite } from '../e2e/suite.mjs';

const { grpc } = grpcWeb;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const buildDir = path.resolve(ROOT, process.env.BUILD_DIR || 'build');
const outDir = process.env.ACCORD_GRPCWEB_OUT || path.join(buildDir, 'grpcweb-output');

// The repository's protos; google/protobuf/* from protobufjs's bundled copies, else Debian's.
function loadProtos(files) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (protobuf.common[target] || protobuf.common[`google/protobuf/${path.basename(target)}`]) return target;
    const own = path.join(ROOT, 'proto', target);
    if (existsSync(own)) return own;
    return path.join('/usr/include', target);
  };
  return root.loadSync(files, { keepCase: false });
}

// A protobufjs type in the shape grpc-web's method descriptors expect of generated classes.
function messageClass(type) {
  return class {
    constructor(object = {}) {
      this.object = object;
    }
    serializeBinary() {
      const message = type.fromObject(this.object);
      const error = type.verify(message);
      if (error) throw new Error(`${type.fullName}: ${error}`);
      return type.encode(message).finish();
    }
    static deserializeBinary(bytes) {
      return new this(type.toObject(type.decode(bytes), { enums: String, longs: String, defaults: false }));
    }
    toObject() {
      return this.object;
    }
  };
}

function method(root, serviceName, methodName) {
  const service = root.lookupService(serviceName);
  const m = service.methods[methodName].resolve();
  return {
    methodName,
    service: { serviceName },
    requestStream: Boolean(m.requestStream),
    responseStream: Boolean(m.responseStream),
    requestType: messageClass(m.resolvedRequestType),
    responseType: messageClass(m.resolvedResponseType),
  };
}

describe('grpc-web client through accord-gateway', () => {
  let suite;
  let root;
  let admin;
  const unary = (descriptor, request, metadata) =>
    new Promise((resolve) => {
      grpc.unary(descriptor, {
        request: new descriptor.requestType(request),
        host: suite.baseUrl,
        metadata,
        transport: nodeTransport.NodeHttpTransport(),
        onEnd: (result) => resolve(result),
      });
    });

  before(async () => {
    root = loadProtos(['accord/account/v1/account.proto', 'accord/events/v1/events.proto']);
    suite = await startSuite({ buildDir, outDir });
    admin = { authorization: `Bearer ${suite.token('grpcweb-admin', ['admin'])}` };
  });
  after(async () => {
    if (suite) await suite.stop();
  });

  it('makes unary calls and reads their errors as gRPC statuses', async () => {
    const create = method(root, 'accord.account.v1.AccountService', 'CreateAccount');
    const get = method(root, 'accord.account.v1.AccountService', 'GetAccount');
    const created = await unary(
      create,
      { account: { displayName: 'Web Client GmbH', type: 'ORGANIZATION_TYPE_COMMERCIAL' } },
      admin,
    );
    assert.equal(created.status, grpc.Code.OK, created.statusMessage);
    const account = created.message.toObject();
    assert.match(account.name, /^accounts\/[0-9a-f-]{36}$/);
    assert.equal(account.displayName, 'Web Client GmbH');

    const read = await unary(get, { name: account.name }, admin);
    assert.equal(read.status, grpc.Code.OK, read.statusMessage);
    assert.equal(read.message.toObject().displayName, 'Web Client GmbH');
    assert.equal(read.message.toObject().etag, account.etag);

    const missing = await unary(get, { name: 'accounts/00000000-0000-7000-8000-000000000000' }, admin);
    assert.equal(missing.status, grpc.Code.NotFound);
    assert.equal(missing.message, null);
    const invalid = await unary(get, { name: 'contacts/nope' }, admin);
    assert.equal(invalid.status, grpc.Code.InvalidArgument);
    // The gateway grants nothing: without a token the service refuses the call.
    const anonymous = await unary(get, { name: account.name }, {});
    assert.equal(anonymous.status, grpc.Code.Unauthenticated);
  });

  it('receives a server stream message by message', async () => {
    const subscribe = method(root, 'accord.events.v1.EventService', 'Subscribe');
    const create = method(root, 'accord.account.v1.AccountService', 'CreateAccount');
    const seen = [];
    const ended = [];
    const request = grpc.invoke(subscribe, {
        request: new subscribe.requestType({ typePrefix: 'accord.account.v1.AccountCreated' }),
        host: suite.baseUrl,
        // Subscribe is every service's: the header says whose stream.
        metadata: { ...admin, 'x-accord-service': 'account' },
        transport: nodeTransport.NodeHttpTransport(),
      onMessage: (message) => seen.push(message.toObject()),
      onEnd: (status, statusMessage) => ended.push({ status, statusMessage }),
    });
    await new Promise((r) => setTimeout(r, 500)); // the subscription is open
    const names = [];
    for (const displayName of ['Streamed One', 'Streamed Two']) {
      const created = await unary(create, { account: { displayName, type: 'ORGANIZATION_TYPE_COMMERCIAL' } }, admin);
      assert.equal(created.status, grpc.Code.OK, created.statusMessage);
      names.push(created.message.toObject().name);
    }
    const deadline = Date.now() + 15000;
    const subjects = () => seen.map((m) => m.event.subject);
    while (!names.every((n) => subjects().includes(n)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(ended, [], 'the stream stays open until the client closes it');
    request.close();
    assert.deepEqual(
      subjects().filter((s) => names.includes(s)),
      names,
      `events in commit order, each once (seen: ${JSON.stringify(subjects())})`,
    );
    for (const message of seen) {
      assert.equal(message.event.type, 'accord.account.v1.AccountCreated');
      assert.ok(message.cursor, 'each message carries its resume cursor');
    }

    // A refused stream (a token with no role the service knows; every known role may follow
    // at least notifications) ends at once with its status and no message.
    const refused = await new Promise((resolve) => {
      const messages = [];
      grpc.invoke(subscribe, {
        request: new subscribe.requestType({ typePrefix: 'accord.' }),
        host: suite.baseUrl,
        metadata: { authorization: `Bearer ${suite.token('nobody', ['visitor'])}`, 'x-accord-service': 'account' },
        transport: nodeTransport.NodeHttpTransport(),
        onMessage: (m) => messages.push(m),
        onEnd: (status) => resolve({ status, messages }),
      });
    });
    assert.equal(refused.status, grpc.Code.PermissionDenied);
    assert.equal(refused.messages.length, 0);
  });
});
