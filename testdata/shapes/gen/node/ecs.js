'use strict'
// Writes testdata/shapes/ecs: Elastic Common Schema logs from pino with
// @elastic/ecs-pino-format (convertReqRes: ECS http.* fields from
// pino-http's req and res, http.response.body.bytes from Content-Length),
// the real packages pinned by package-lock.json. The ECS format writes
// literal dotted keys ("log.level", "ecs.version", "event.dataset") beside
// nested objects ("http": {...}, "event": {"duration": ...}): the request
// logs carry ECS's event.duration in nanoseconds through pino-http's
// documented customSuccessObject/customErrorObject hooks.
//
// usage: node ecs.js <fixture dir>

const os = require('os')
const path = require('path')
const lib = require('./lib')

lib.installClock()
Error.stackTraceLimit = 0 // error.stack_trace would hold this machine's paths
const pino = require('pino')
const pinoHttp = require('pino-http')
const { ecsFormat } = require('@elastic/ecs-pino-format')

async function main () {
  const dir = process.argv[2]
  const input = path.join(dir, 'input', 'payments')
  lib.freshDir(input)
  const r = lib.rng(8112025)
  const truth = new lib.Truth()

  const dest = lib.rotatingFile(path.join(input, 'payments.ndjson'))
  const logger = pino({
    ...ecsFormat({ convertReqRes: true, serviceName: 'payments', serviceVersion: '3.2.1', serviceEnvironment: 'prod' }),
    level: 'trace',
    base: { pid: 9001, hostname: 'payments-6f5d4-q7h2p' }
  }, dest)
  const withDuration = (req, res, obj) => ({ ...obj, event: { duration: obj.responseTime * 1e6 } })
  const httpLogger = pinoHttp({
    logger,
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error'
      if (res.statusCode >= 400) return 'warn'
      return 'info'
    },
    customSuccessObject: withDuration,
    customErrorObject: (req, res, err, obj) => withDuration(req, res, obj)
  })
  const levelNumber = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

  const srv = await lib.serve(path.join(os.tmpdir(), 'logsmith-gen-ecs.sock'), (req, res, plan) => {
    httpLogger(req, res)
    lib.setClock(plan.start + plan.latencyMs)
    const body = Buffer.alloc(plan.bytes, 'z')
    res.statusCode = plan.status
    res.setHeader('content-type', 'application/json')
    res.setHeader('content-length', body.length)
    res.end(body)
  })

  const messages = [
    ['info', 'settlement batch closed'], ['debug', 'fx rate cached'], ['warn', 'card issuer slow'],
    ['error', 'ledger write failed'], ['info', 'Zahlung eingegangen: 12,50 €'], ['trace', 'heartbeat'],
    ['fatal', 'HSM unavailable']
  ]
  for (const t of lib.times(r, 180)) {
    if (r.chance(0.25)) {
      const [level, msg] = r.pick(messages)
      lib.setClock(t)
      logger[level]({ labels: { tenant: 't-' + r.int(1, 9) } }, msg)
      truth.add(t, lib.levelClass(levelNumber[level]), null, null, null)
      continue
    }
    const plan = lib.requestPlan(r, 'payments.example.com')
    plan.start = t
    lib.setClock(t)
    await srv.send(plan)
    const level = plan.status >= 500 ? 50 : plan.status >= 400 ? 40 : 30
    truth.add(t + plan.latencyMs, lib.levelClass(level), plan.latencyMs * 1e6, plan.status, plan.bytes)
  }
  await srv.close()
  truth.write(dir)
}

main().catch((err) => { console.error(err); process.exit(1) })
