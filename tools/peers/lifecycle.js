'use strict'
// Shared by the peer servers: exit cleanly on SIGTERM/SIGINT, and when the parent closes our stdin
// (pipe or socket), so a test that dies never leaves a peer behind. A TTY or /dev/null is not watched.
const fs = require('fs')

function exitWhenParentGoes (server) {
  function shutdown () {
    server.close()
    process.exit(0)
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  try {
    const st = fs.fstatSync(0)
    if (st.isFIFO() || st.isSocket()) {
      process.stdin.on('end', shutdown)
      process.stdin.on('close', shutdown)
      process.stdin.resume()
    }
  } catch (e) { /* no stdin */ }
}

module.exports = { exitWhenParentGoes }
