#!/usr/bin/env node
// node-spdy (npm spdy 4.0.2) serving the files of one folder, held in memory, over cleartext SPDY:
// the node-spdy side of `spdylab bench server` (lab/SpdyLab.Lab/Bench).
//
//   node spdy-file-server.js --root DIR [--port 0] [--host 127.0.0.1]
//
// GET /NAME answers the bytes of DIR/NAME (read once at start, so the benchmark measures the SPDY
// stack, not the file system), anything else 404. Cleartext only: the session's version comes from
// the client's first frame; a client that sends a session-level WINDOW_UPDATE gets SPDY/3.1 flow
// control (node-spdy's autoSpdy31). Prints {"event":"listening","port":N} on stdout when ready.
// Exits on SIGTERM/SIGINT and when stdin (a pipe) closes.
'use strict'
process.noDeprecation = true

const fs = require('fs')
const path = require('path')

let spdy
try {
  spdy = require(path.join(__dirname, 'node_modules', 'spdy'))
} catch (e) {
  process.stderr.write('spdy-file-server: npm module "spdy" not found; run scripts/install-deps.sh\n')
  process.exit(3)
}

const o = { root: null, port: 0, host: '127.0.0.1' }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const value = () => {
    if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`)
    return argv[++i]
  }
  switch (argv[i]) {
    case '--root': o.root = value(); break
    case '--port': o.port = parseInt(value(), 10); break
    case '--host': o.host = value(); break
    default: usage(`unknown argument '${argv[i]}'`)
  }
}
if (!o.root) usage('--root DIR is required')

function usage (msg) {
  process.stderr.write(`spdy-file-server: ${msg}\nusage: spdy-file-server.js --root DIR [--port N] [--host ADDR]\n`)
  process.exit(2)
}

const files = new Map()
for (const name of fs.readdirSync(o.root)) {
  const full = path.join(o.root, name)
  if (fs.statSync(full).isFile()) files.set('/' + name, fs.readFileSync(full))
}

const server = spdy.createServer({
  spdy: { plain: true, ssl: false, protocols: ['spdy/3.1', 'spdy/3', 'spdy/2'], connection: { autoSpdy31: true } }
}, (req, res) => {
  const body = files.get(req.url.split('?')[0])
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 10 })
    res.end('not found\n')
    return
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
  res.end(body)
})

server.on('error', (e) => {
  process.stderr.write(`spdy-file-server: ${e.message}\n`)
  process.exit(1)
})
server.listen(o.port, o.host, () => {
  process.stdout.write(JSON.stringify({ event: 'listening', port: server.address().port, files: files.size }) + '\n')
})

require('./lifecycle').exitWhenParentGoes(server)
