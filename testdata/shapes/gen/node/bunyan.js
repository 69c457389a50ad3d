'use strict'
// Writes testdata/shapes/bunyan: a service logging with bunyan (the real
// package, pinned by package-lock.json), one audit record per request in
// the shape restify's auditLogger gives it (name "audit", req and res
// through bunyan's standard serializers, latency in ms, always at info,
// whatever the status), and application records at every level. Each
// record's time is the plan's: bunyan keeps a `time` field it is given.
//
// usage: node bunyan.js <fixture dir>

const os = require('os')
const path = require('path')
const lib = require('./lib')

lib.installClock()
const bunyan = require('bunyan')

async function main () {
  const dir = process.argv[2]
  const input = path.join(dir, 'input', 'orders')
  lib.freshDir(input)
  const r = lib.rng(11082025)
  const truth = new lib.Truth()

  const stream = lib.rotatingFile(path.join(input, 'orders.log'))
  const logger = (name, fields) => bunyan.createLogger({
    name,
    hostname: 'orders-5b7c9d-k8s2m',
    pid: 17,
    level: 'trace',
    streams: [{ level: 'trace', type: 'stream', stream }],
    serializers: bunyan.stdSerializers,
    ...fields
  })
  const log = logger('orders', {})
  const audit = logger('audit', { audit: true }) // as restify's auditLogger sets it up

  const srv = await lib.serve(path.join(os.tmpdir(), 'logsmith-gen-bunyan.sock'), (req, res, plan) => {
    const body = Buffer.alloc(plan.bytes, 'y')
    res.statusCode = plan.status
    res.setHeader('content-type', 'application/json')
    res.setHeader('content-length', body.length)
    res.on('finish', () => {
      const end = plan.start + plan.latencyMs
      audit.info({
        time: new Date(end),
        req_id: req.headers['x-request-id'],
        req,
        res,
        latency: plan.latencyMs,
        _audit: true
      }, 'handled: %d', res.statusCode)
    })
    res.end(body)
  })

  const messages = [
    ['info', 'order %s placed'], ['debug', 'reserving stock for %s'], ['trace', 'span %s'],
    ['warn', 'stock low for %s'], ['error', 'charge declined for %s'], ['fatal', 'database unreachable (%s)'],
    ['info', 'Lieferung für %s unterwegs — 配送中']
  ]
  const levelNumber = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }
  for (const t of lib.times(r, 200)) {
    lib.setClock(t)
    if (r.chance(0.3)) {
      const [level, msg] = r.pick(messages)
      log[level]({ time: new Date(t), order: 'ord_' + r.int(1000, 9999) }, msg, 'ord_' + r.int(1000, 9999))
      truth.add(t, lib.levelClass(levelNumber[level]), null, null, null)
      continue
    }
    const plan = lib.requestPlan(r, 'orders.internal')
    plan.start = t
    lib.setClock(t + plan.latencyMs) // the audit record is written when the response ends
    await srv.send(plan)
    truth.add(t + plan.latencyMs, 'info', plan.latencyMs * 1e6, plan.status, null)
  }
  await srv.close()
  truth.write(dir)
}

main().catch((err) => { console.error(err); process.exit(1) })
