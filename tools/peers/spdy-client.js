#!/usr/bin/env node
// node-spdy CLIENT used as an independent SPDY peer by SpdyLab's interop tests. It drives
// spdy-transport 3.0.0 (node-spdy 4.0.2's protocol implementation) directly: one TCP or TLS
// connection, one SPDY session, every URL requested concurrently on it. One JSON line per URL:
//   {"url":..,"status":200,"headers":{..},"length":N,"sha256":"..","protocol":"spdy/3.1",
//    "pushed":[{"path":"/x","status":200,"headers":{..},"length":N,"sha256":".."}],"ms":12.3}
// or {"url":..,"error":"..."} when that request failed.
//
//   node spdy-client.js [--protocol spdy/3.1|spdy/3|spdy/2] [--plain] [-k|--insecure]
//                       [--servername NAME] [--connect HOST:PORT] [--timeout MS]
//                       [-X METHOD] [--data-size N] [-H 'Name: value']... URL...
//
// http:// URLs (or --plain) speak cleartext SPDY of the --protocol version (default spdy/3.1).
// https:// URLs negotiate by ALPN, offering --protocol only, or spdy/3.1, spdy/3, spdy/2.
// --connect      connect to HOST:PORT instead of the URL's host and port (like curl --resolve).
// --data-size N  send N deterministic bytes (byte i = i % 251) as the request body.
// Exit code: 0 when every URL got a response, 1 otherwise, 2 on bad arguments, 3 without spdy.
//
// Why not spdy.createAgent (node-spdy's http.Agent)? On Node >= 16 it crashes in handle-thing
// (`_writev` on a null stream) as soon as a request has a body; GETs work. Using the transport
// keeps the same frame code (parser, framer, zlib, flow control) without the http shims.
'use strict'
process.noDeprecation = true

const path = require('path')
const crypto = require('crypto')
const net = require('net')
const tls = require('tls')

let transport
try {
  transport = require(path.join(__dirname, 'node_modules', 'spdy-transport'))
} catch (e) {
  process.stderr.write('spdy-client: npm module "spdy" (spdy-transport) not found; run scripts/install-deps.sh\n')
  process.exit(3)
}

function usage (msg) {
  process.stderr.write(`spdy-client: ${msg}\n` +
    'usage: spdy-client.js [--protocol spdy/3.1|spdy/3|spdy/2] [--plain] [-k] [--servername NAME] ' +
    '[--connect HOST:PORT] [--timeout MS] [-X METHOD] [--data-size N] [-H "Name: value"]... URL...\n')
  process.exit(2)
}

const o = { protocol: null, plain: false, insecure: false, servername: null, connect: null, timeout: 15000, method: 'GET', dataSize: -1, headers: {}, urls: [] }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  const next = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i] }
  switch (a) {
    case '--protocol': o.protocol = next(); break
    case '--plain': o.plain = true; break
    case '-k': case '--insecure': o.insecure = true; break
    case '--servername': o.servername = next(); break
    case '--connect': o.connect = next(); break
    case '--timeout': o.timeout = parseInt(next(), 10); break
    case '-X': o.method = next().toUpperCase(); break
    case '--data-size': o.dataSize = parseInt(next(), 10); break
    case '-H': {
      const h = next(); const c = h.indexOf(':')
      if (c <= 0) usage(`-H '${h}' is not 'Name: value'`)
      o.headers[h.slice(0, c).trim().toLowerCase()] = h.slice(c + 1).trim()
      break
    }
    default:
      if (a.startsWith('-')) usage(`unknown option '${a}'`)
      o.urls.push(a)
  }
}
if (o.urls.length === 0) usage('no URL given')
const versions = { 'spdy/3.1': 3.1, 'spdy/3': 3, 'spdy/2': 2 }
if (o.protocol && !(o.protocol in versions)) usage(`--protocol '${o.protocol}': accepted spdy/3.1, spdy/3, spdy/2`)

let urls
try { urls = o.urls.map((u) => new URL(u)) } catch (e) { usage(e.message) }
const first = urls[0]
for (const u of urls) {
  if (u.host !== first.host || u.protocol !== first.protocol) usage('all URLs must share one scheme, host and port (one session)')
}
const secure = first.protocol === 'https:' && !o.plain
let host = first.hostname
let port = Number(first.port) || (first.protocol === 'https:' ? 443 : 80)
if (o.connect) {
  const c = o.connect.lastIndexOf(':')
  host = o.connect.slice(0, c); port = Number(o.connect.slice(c + 1))
}

function print (obj) { process.stdout.write(JSON.stringify(obj) + '\n') }

function body (n) {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}

function collect (stream, done) {
  const hash = crypto.createHash('sha256')
  let length = 0
  stream.on('data', (c) => { hash.update(c); length += c.length })
  stream.on('end', () => done(null, length, hash.digest('hex')))
  stream.on('error', (e) => done(e))
}

function failAll (message) {
  for (const u of urls) print({ url: u.href, error: message })
  process.exit(1)
}

const offered = o.protocol ? [o.protocol] : ['spdy/3.1', 'spdy/3', 'spdy/2']
const socket = secure
  ? tls.connect({ host, port, servername: o.servername || first.hostname, ALPNProtocols: offered, rejectUnauthorized: !o.insecure })
  : net.connect({ host, port })
socket.setNoDelay(true)
socket.on('error', (e) => failAll(`connection: ${e.message}`))
const overall = setTimeout(() => failAll(`timed out after ${o.timeout} ms`), o.timeout)

socket.on(secure ? 'secureConnect' : 'connect', () => {
  const negotiated = secure ? socket.alpnProtocol : (o.protocol || 'spdy/3.1')
  if (!(negotiated in versions)) failAll(`server chose ALPN '${negotiated}', not SPDY (offered ${offered.join(', ')})`)
  const connection = transport.connection.create(socket, { protocol: 'spdy', isServer: false })
  connection.start(versions[negotiated])
  connection.on('error', (e) => failAll(`session: ${e.message}`))

  let failures = 0
  const fetches = urls.map((u) => new Promise((resolve) => {
    const started = process.hrtime.bigint()
    const result = { url: u.href }
    const pushes = []
    let finished = false
    function finish (err) {
      if (finished) return
      finished = true
      if (err) { result.error = err.message; failures++ }
      result.pushed = pushes.map((p) => p.result)
      result.ms = Number(process.hrtime.bigint() - started) / 1e6
      print(result)
      resolve()
    }
    const headers = Object.assign({}, o.headers)
    if (o.dataSize >= 0) headers['content-length'] = String(o.dataSize)
    const stream = connection.request({
      method: o.method,
      path: u.pathname + u.search,
      host: first.host,
      headers
    }, (err) => { if (err) finish(err) })
    stream.on('pushPromise', (push) => {
      const entry = { result: { path: push.path, headers: Object.assign({}, push.headers) }, done: null }
      entry.done = new Promise((resolvePush) => {
        push.on('response', (status, h) => { entry.result.status = status; Object.assign(entry.result.headers, h) })
        collect(push, (err, length, sha) => {
          if (err) entry.result.error = err.message
          else { entry.result.length = length; entry.result.sha256 = sha }
          resolvePush()
        })
      })
      pushes.push(entry)
    })
    stream.on('response', (status, h) => {
      result.status = status
      result.headers = h
      result.protocol = negotiated
      collect(stream, async (err, length, sha) => {
        if (err) return finish(err)
        result.length = length
        result.sha256 = sha
        await Promise.all(pushes.map((p) => p.done))
        finish(null)
      })
    })
    stream.on('error', (e) => finish(e))
    if (o.dataSize >= 0) stream.end(body(o.dataSize))
    else stream.end()
  }))

  Promise.all(fetches).then(() => {
    clearTimeout(overall)
    const code = failures ? 1 : 0
    connection.end(() => process.exit(code))
    setTimeout(() => process.exit(code), 300).unref()
  })
})
