#!/usr/bin/env node
// node-spdy (npm spdy 4.0.2) SERVER used as an independent SPDY peer by SpdyLab's interop tests.
//
//   node spdy-server.js [--port 0] [--host 127.0.0.1] [--plain] [--tls --key FILE --cert FILE]
//                       [--protocols spdy/3.1,spdy/3,spdy/2] [--auto-spdy31] [--no-v2-fix]
//                       [--no-push-fix] [--verbose]
//
// Prints one JSON line on stdout when listening: {"event":"listening","port":N,"tls":bool,...}.
// Exits on SIGTERM/SIGINT, and when stdin is a pipe or socket that closes (so a parent that dies
// takes the peer with it).
//
// Routes (bodies are deterministic so a client can check length and sha256 without a copy):
//   GET  /bytes/N          N bytes, byte i = i % 251 (content-type application/octet-stream)
//   GET  /push/N           a small HTML page; pushes /pushed/N (N bytes as /bytes/N) before it
//   GET  /pushed/N         same bytes as /bytes/N (what the push carries, fetchable directly too)
//   GET  /status/CODE      an empty-bodied... small text response with that status
//   GET  /headers          the request headers as JSON
//   POST /echo             {"length":N,"sha256":"..."} of the request body
//   anything else          404
//
// node-spdy quirks this script works around (see docs/client.md):
//   - SPDY/2 has no flow control, but spdy-transport applies a 64 KB per-stream send window in
//     SPDY/2 too and waits for WINDOW_UPDATE frames a SPDY/2 peer never sends; a body > 64 KB
//     stalls. Unless --no-v2-fix is given, the per-stream send window of SPDY/2 sessions is made
//     effectively unlimited.
//   - Pushed SYN_STREAMs go out without FLAG_UNIDIRECTIONAL (0x02), which SPDY/2 and /3 require
//     (spdy3 §3.3.1 "MUST set"); a strict client resets them. Unless --no-push-fix is given, the
//     flag is set on every outgoing SYN_STREAM with a non-zero Associated-To-Stream-ID.
//   - In cleartext ("plain") mode the version comes from the first frame's version field, so
//     spdy/3 and spdy/3.1 look the same (both are wire version 3). --auto-spdy31 makes the server
//     switch to 3.1 on the client's first session-level WINDOW_UPDATE (it then also sends
//     session-level WINDOW_UPDATEs, even before it knows; a strict SPDY/3 client may object).
'use strict'
process.noDeprecation = true // http-deceiver uses process.binding('http_parser'); the warning is noise here

const fs = require('fs')
const path = require('path')
const crypto = require('crypto')

let spdy
try {
  spdy = require(path.join(__dirname, 'node_modules', 'spdy'))
} catch (e) {
  process.stderr.write('spdy-server: npm module "spdy" not found; run scripts/install-deps.sh\n')
  process.exit(3)
}

function parseArgs (argv) {
  const o = {
    port: 0,
    host: '127.0.0.1',
    plain: false,
    tls: false,
    key: null,
    cert: null,
    protocols: ['spdy/3.1', 'spdy/3', 'spdy/2'],
    autoSpdy31: false,
    v2Fix: true,
    pushFix: true,
    verbose: false
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    switch (a) {
      case '--port': o.port = parseInt(next(), 10); break
      case '--host': o.host = next(); break
      case '--plain': o.plain = true; break
      case '--tls': o.tls = true; break
      case '--key': o.key = next(); break
      case '--cert': o.cert = next(); break
      case '--protocols': o.protocols = next().split(',').map(s => s.trim()).filter(Boolean); break
      case '--auto-spdy31': o.autoSpdy31 = true; break
      case '--no-v2-fix': o.v2Fix = false; break
      case '--no-push-fix': o.pushFix = false; break
      case '--verbose': o.verbose = true; break
      default: usage(`unknown argument '${a}'`)
    }
  }
  if (!o.plain && !o.tls) o.plain = true
  if (o.tls && (!o.key || !o.cert)) usage('--tls needs --key FILE and --cert FILE (PEM)')
  return o
}

function usage (msg) {
  process.stderr.write(`spdy-server: ${msg}\n` +
    'usage: spdy-server.js [--port N] [--host ADDR] [--plain] [--tls --key FILE --cert FILE] ' +
    '[--protocols spdy/3.1,spdy/3,spdy/2] [--auto-spdy31] [--no-v2-fix] [--no-push-fix] [--verbose]\n')
  process.exit(2)
}

const opts = parseArgs(process.argv.slice(2))
const log = opts.verbose ? (m) => process.stderr.write(`spdy-server: ${m}\n`) : () => {}

// Deterministic body: byte i = i % 251 (251 is prime, so the pattern does not align with frames).
function body (n) {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}

const MAX_BODY = 64 * 1024 * 1024

function sizeFrom (text) {
  const n = Number(text)
  return Number.isInteger(n) && n >= 0 && n <= MAX_BODY ? n : -1
}

// The SPDY/2 flow-control fix: spdy-transport clones every stream's window from the connection's
// `streamWindow`, so raising that template's send side before any stream exists is enough.
function applyV2Fix (connection) {
  connection.once('version', (version) => {
    if (version !== 2) return
    const state = connection._spdyState
    state.streamWindow.send.setMax(0x7fffffff)
    state.streamWindow.send.current = 0x7fffffff
    log('spdy/2 session: per-stream send window lifted (SPDY/2 has no flow control)')
  })
}

// The push fix: follows the outgoing byte stream frame by frame (8-byte header: control bit, type at
// bytes 2-3, flags at byte 4, 24-bit length at 5-7; SYN_STREAM's Associated-To-Stream-ID at bytes 12-15)
// and sets FLAG_UNIDIRECTIONAL on SYN_STREAMs that carry an associated stream id.
function pushFlagPatcher () {
  let pending = Buffer.alloc(0) // bytes of a frame start not yet decided on (fewer than 16)
  let skip = 0 // payload bytes of the current frame still to pass through untouched
  return function patch (chunk) {
    const out = []
    let data = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk)
    pending = Buffer.alloc(0)
    while (data.length > 0) {
      if (skip > 0) {
        const n = Math.min(skip, data.length)
        out.push(data.subarray(0, n))
        data = data.subarray(n)
        skip -= n
        continue
      }
      if (data.length < 8) { pending = data; break }
      const control = (data[0] & 0x80) !== 0
      const type = data.readUInt16BE(2)
      const length = data.readUIntBE(5, 3)
      if (control && type === 1) {
        if (data.length < 16) { pending = data; break }
        const frameStart = Buffer.from(data.subarray(0, 16))
        if ((frameStart.readUInt32BE(12) & 0x7fffffff) !== 0) frameStart[4] |= 0x02
        out.push(frameStart)
        data = data.subarray(16)
        skip = length - 8
      } else {
        out.push(data.subarray(0, 8))
        data = data.subarray(8)
        skip = length
      }
    }
    return out.length === 1 ? out[0] : Buffer.concat(out)
  }
}

function applyPushFix (socket) {
  const patch = pushFlagPatcher()
  const write = socket.write
  socket.write = function (chunk, encoding, callback) {
    if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk
    return write.call(this, patch(bytes), callback)
  }
}

function handler (req, res) {
  const url = new URL(req.url, 'http://peer')
  const parts = url.pathname.split('/').filter(Boolean)
  log(`${req.method} ${req.url} spdy=${req.isSpdy} version=${req.spdyVersion}`)
  const common = { 'x-spdy-version': String(req.spdyVersion || 1) }

  if (req.method === 'POST' && url.pathname === '/echo') {
    const hash = crypto.createHash('sha256')
    let length = 0
    req.on('data', (chunk) => { hash.update(chunk); length += chunk.length })
    req.on('end', () => {
      const text = JSON.stringify({ length, sha256: hash.digest('hex') })
      res.writeHead(200, Object.assign({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, common))
      res.end(text)
    })
    return
  }

  if (parts[0] === 'bytes' || parts[0] === 'pushed') {
    const n = sizeFrom(parts[1])
    if (n < 0) return notFound(res, common)
    const b = body(n)
    res.writeHead(200, Object.assign({ 'content-type': 'application/octet-stream', 'content-length': n }, common))
    res.end(b)
    return
  }

  if (parts[0] === 'push') {
    const n = sizeFrom(parts[1])
    if (n < 0) return notFound(res, common)
    const page = Buffer.from(`<!doctype html><title>push</title><script src="/pushed/${n}"></script>\n`)
    if (typeof res.push === 'function') {
      const pushed = body(n)
      const stream = res.push(`/pushed/${n}`, {
        request: { accept: '*/*' },
        response: { 'content-type': 'application/octet-stream', 'content-length': n }
      })
      stream.on('error', (e) => log(`push error: ${e.message}`))
      stream.end(pushed)
    }
    res.writeHead(200, Object.assign({ 'content-type': 'text/html', 'content-length': page.length }, common))
    res.end(page)
    return
  }

  if (parts[0] === 'status') {
    const code = parseInt(parts[1], 10)
    if (!(code >= 200 && code <= 599)) return notFound(res, common)
    const text = `status ${code}\n`
    res.writeHead(code, Object.assign({ 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }, common))
    res.end(text)
    return
  }

  if (url.pathname === '/headers') {
    const text = JSON.stringify(req.headers)
    res.writeHead(200, Object.assign({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, common))
    res.end(text)
    return
  }

  notFound(res, common)
}

function notFound (res, common) {
  const text = 'not found\n'
  res.writeHead(404, Object.assign({ 'content-type': 'text/plain', 'content-length': text.length }, common))
  res.end(text)
}

const spdyOptions = {
  plain: opts.plain && !opts.tls,
  ssl: opts.tls,
  protocols: opts.protocols,
  connection: { autoSpdy31: opts.autoSpdy31 }
}
const serverOptions = { spdy: spdyOptions }
if (opts.tls) {
  serverOptions.key = fs.readFileSync(opts.key)
  serverOptions.cert = fs.readFileSync(opts.cert)
}

const server = spdy.createServer(serverOptions, handler)

if (opts.v2Fix || opts.pushFix) {
  // spdy.Server creates its spdy-transport Connection inside _handleConnection; wrap the
  // transport's factory so every connection gets the fixes before its first frame.
  const transport = require(path.join(__dirname, 'node_modules', 'spdy-transport'))
  const create = transport.connection.create
  transport.connection.create = function (socket, options) {
    if (opts.pushFix) applyPushFix(socket)
    const connection = create.call(this, socket, options)
    if (opts.v2Fix) applyV2Fix(connection)
    return connection
  }
}

server.on('error', (e) => {
  process.stderr.write(`spdy-server: ${e.message}\n`)
  process.exit(1)
})
server.on('secureConnection', (socket) => log(`TLS connection, ALPN=${socket.alpnProtocol}`))
server.on('tlsClientError', (e) => log(`TLS client error: ${e.message}`))

server.listen(opts.port, opts.host, () => {
  const port = server.address().port
  process.stdout.write(JSON.stringify({
    event: 'listening',
    port,
    host: opts.host,
    tls: opts.tls,
    protocols: opts.protocols
  }) + '\n')
})

require('./lifecycle').exitWhenParentGoes(server)
