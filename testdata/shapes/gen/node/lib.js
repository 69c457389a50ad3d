'use strict'
// Shared pieces of the Node fixture writers: a seeded random source, a clock
// the loggers read instead of the machine's, the plan of requests, and the
// truth file (testdata/shapes/<shape>/events.csv), written from what each
// logger was asked to log — never parsed back from its output.

const fs = require('fs')
const path = require('path')

// mulberry32: a small seeded generator, so every run plans the same events.
function rng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    float: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p
  }
}

// The clock. Date.now() and new Date() read `now` (epoch ms), so pino's
// default timestamp, pino-http's response time, ecs-pino-format's
// @timestamp and bunyan's record time are the plan's, not the machine's.
// It is installed before any logger is required.
const RealDate = Date
let now = 0
class PlanDate extends RealDate {
  constructor (...args) {
    if (args.length === 0) super(now)
    else super(...args)
  }

  static now () { return now }
}
function installClock () { global.Date = PlanDate }
function setClock (ms) { now = ms }

// The fixtures' time range: 2025-11-08 10:00 to 12:00 UTC.
const START_MS = RealDate.UTC(2025, 10, 8, 10, 0, 0)
const SPAN_MS = 2 * 3600 * 1000

// times returns n sorted instants (epoch ms) spread over the range, with
// a few bursts so some 5-minute windows are busy and some nearly empty.
function times (r, n) {
  const ts = []
  for (let i = 0; i < n; i++) {
    let t = START_MS + Math.floor(r.float() * SPAN_MS)
    if (r.chance(0.15)) t = START_MS + 37 * 60000 + r.int(0, 120000) // a burst at 10:37
    ts.push(t)
  }
  return ts.sort((a, b) => a - b)
}

// status draws an HTTP status: mostly 2xx, some 3xx, 4xx and 5xx.
function status (r) {
  const x = r.float()
  if (x < 0.78) return r.pick([200, 200, 200, 201, 204])
  if (x < 0.84) return r.pick([301, 304])
  if (x < 0.94) return r.pick([400, 401, 404, 404, 429])
  return r.pick([500, 502, 503])
}

// Truth collects one row per event a logger was asked to write.
class Truth {
  constructor () { this.rows = [] }
  // add records an event: time in epoch ms (or a BigInt of ns), its level
  // class, latency in ns (null: none), status and bytes (null: none).
  add (timeMs, level, latencyNs, status, bytes) {
    const ns = typeof timeMs === 'bigint' ? timeMs : BigInt(timeMs) * 1000000n
    if (!['error', 'warn', 'info'].includes(level)) throw new Error('level class ' + level)
    this.rows.push([ns, level, latencyNs, status, bytes])
  }

  write (dir) {
    const lines = ['time_ns,level,latency_ns,status,bytes']
    for (const [ns, level, lat, st, b] of this.rows) {
      lines.push([ns, level, lat ?? '', st ?? '', b ?? ''].join(','))
    }
    fs.writeFileSync(path.join(dir, 'events.csv'), lines.join('\n') + '\n')
  }
}

// levelClass maps pino's and bunyan's level numbers to the class the
// presets give them: 10-30 info, 40 warn, 50-60 error.
function levelClass (n) {
  if (n >= 50) return 'error'
  if (n >= 40) return 'warn'
  return 'info'
}

// freshDir empties and creates a fixture's input folder.
function freshDir (dir) {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
}

module.exports = { rng, installClock, setClock, START_MS, SPAN_MS, times, status, Truth, levelClass, freshDir }

// serve starts an HTTP server on a Unix socket (no TCP port, so no
// ephemeral port numbers in the logs) and returns send(plan), which makes
// one request and resolves when the server's response has finished. For
// each request the server calls handle(req, res, plan); handle must end
// the response. Requests run one at a time, so the clock moves only
// between them.
async function serve (socketPath, handle) {
  const http = require('http')
  fs.rmSync(socketPath, { force: true })
  const plans = new Map()
  let seq = 0
  const server = http.createServer((req, res) => {
    res.sendDate = false // the Date header would read the machine's clock
    const p = plans.get(req.headers['x-request-id'])
    res.on('finish', () => p.finished())
    handle(req, res, p.plan)
  })
  await new Promise((resolve) => server.listen(socketPath, resolve))
  const send = (plan) => new Promise((resolve, reject) => {
    const id = 'req-' + (++seq)
    let finished = false
    let ended = false
    const done = () => { if (finished && ended) { plans.delete(id); resolve() } }
    plans.set(id, { plan, finished: () => { finished = true; done() } })
    const req = http.request({
      socketPath,
      agent: false,
      method: plan.method,
      path: plan.url,
      headers: { host: plan.host, 'user-agent': plan.userAgent, 'x-request-id': id }
    }, (res) => {
      res.resume()
      res.on('end', () => { ended = true; done() })
    })
    req.on('error', reject)
    req.end()
  })
  const close = () => new Promise((resolve) => server.close(resolve))
  return { send, close }
}

// requestPlan draws one request: method, path, status, latency and size.
function requestPlan (r, host) {
  const paths = ['/api/cart', '/api/items?page=2', '/api/checkout', '/api/items/%E2%9C%93', '/healthz', '/api/users/42/orders']
  const agents = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', 'okhttp/4.12.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)']
  const st = status(r)
  let latencyMs = r.int(1, 45)
  if (r.chance(0.1)) latencyMs = r.int(100, 2500)
  if (st >= 500 && r.chance(0.5)) latencyMs = r.int(3000, 30000)
  return {
    method: r.pick(['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE']),
    url: r.pick(paths),
    host,
    userAgent: r.pick(agents),
    status: st,
    latencyMs,
    bytes: st === 204 || st === 304 ? 0 : r.int(2, 48000)
  }
}

module.exports.serve = serve
module.exports.requestPlan = requestPlan

// rotatingFile is a stream for a logger that writes to `${file}.1` before
// 11:00 on the clock and to `file` from then on, as an hourly logrotate
// would leave them; scripts/shapes-fixtures.sh compresses the .1 files
// with gzip, as logrotate's compress does.
function rotatingFile (file) {
  const rotateAt = START_MS + 3600 * 1000
  return {
    write (s) {
      fs.appendFileSync(now < rotateAt ? file + '.1' : file, s)
      return true
    }
  }
}
module.exports.rotatingFile = rotatingFile
