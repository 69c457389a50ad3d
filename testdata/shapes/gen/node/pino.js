'use strict'
// Writes testdata/shapes/pino: a service logging with pino, its requests
// with pino-http (the real packages, versions pinned by package-lock.json),
// served over a Unix socket. pino-http's responseTime is Date.now() at
// 'finish' minus Date.now() when the middleware ran; the plan's clock
// sets both, so the truth's latency is exact.
//
// usage: node pino.js <fixture dir>

const path = require('path')
const lib = require('./lib')

lib.installClock()
Error.stackTraceLimit = 0 // err.stack would hold this machine's paths
const pino = require('pino')
const pinoHttp = require('pino-http')

async function main () {
  const dir = process.argv[2]
  const input = path.join(dir, 'input', 'checkout-api')
  lib.freshDir(input)
  const r = lib.rng(20251108)
  const truth = new lib.Truth()

  const dest = lib.rotatingFile(path.join(input, 'app.log'))
  const logger = pino({ level: 'trace', base: { pid: 4242, hostname: 'checkout-api-7d9f8c-x2x9q' } }, dest)
  const httpLogger = pinoHttp({
    logger,
    // pino-http's documented hook: 5xx errors, 4xx warnings, the rest info.
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error'
      if (res.statusCode >= 400) return 'warn'
      return 'info'
    }
  })
  const levelNumber = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

  const srv = await lib.serve(path.join(require('os').tmpdir(), 'logsmith-gen-pino.sock'), (req, res, plan) => {
    httpLogger(req, res)
    lib.setClock(plan.start + plan.latencyMs)
    const body = Buffer.alloc(plan.bytes, 'x')
    res.statusCode = plan.status
    res.setHeader('content-type', 'application/json; charset=utf-8')
    res.setHeader('content-length', body.length)
    res.end(body)
  })

  const messages = [
    ['info', 'cache warmed'], ['debug', 'pool stats'], ['trace', 'tick'],
    ['warn', 'slow upstream: inventory'], ['error', 'payment provider timeout'],
    ['info', 'Bestellung bestätigt ✓ 注文を受け付けました'], ['fatal', 'out of file descriptors'],
    ['warn', 'retrying "reserve" (attempt 2)']
  ]
  for (const t of lib.times(r, 200)) {
    if (r.chance(0.25)) { // an application log line, no request
      const [level, msg] = r.pick(messages)
      lib.setClock(t)
      logger[level]({ module: 'worker', attempt: r.int(1, 3) }, msg)
      truth.add(t, lib.levelClass(levelNumber[level]), null, null, null)
      continue
    }
    const plan = lib.requestPlan(r, 'checkout.example.com')
    plan.start = t
    lib.setClock(t)
    await srv.send(plan)
    const level = plan.status >= 500 ? 50 : plan.status >= 400 ? 40 : 30
    truth.add(t + plan.latencyMs, lib.levelClass(level), plan.latencyMs * 1e6, plan.status, null)
  }
  await srv.close()
  truth.write(dir)
}

main().catch((err) => { console.error(err); process.exit(1) })
