package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// genOTLP writes OTLP/JSON logs with the OpenTelemetry collector's own
// encoder (pdata's plog.JSONMarshaler), one ExportLogsServiceRequest per
// line as the collector's file exporter writes them: a rotated file
// (logs-<time>.json, as its lumberjack rotation names it) and the current
// one, plus one request saved pretty-printed. Batches hold several
// resources (service, pod, host attributes) and scopes (name, version,
// attributes); records carry timeUnixNano as a string of nanoseconds,
// severityNumber and severityText, a string or map body and attributes.
// A few records have no severity (UNSPECIFIED: the member is left out).
func genOTLP(dir string) (*truth, error) {
	r := newRNG(0x0715)
	tr := &truth{}
	ts := times(r, 150, time.Nanosecond)
	services := []struct{ name, pod string }{{"checkout", "checkout-7d9f8c-x2x9q"}, {"ledger", "ledger-0"}, {"gateway", "gateway-5c6d7e-a1b2c"}}
	text := map[int]string{1: "TRACE", 5: "DEBUG", 9: "INFO", 10: "INFO2", 13: "WARN", 17: "ERROR", 18: "ERROR2", 21: "FATAL", 24: "FATAL4"}
	var lines [][]byte
	for len(ts) > 0 {
		ld := plog.NewLogs()
		for _, svc := range services {
			if len(ts) == 0 || r.chance(0.3) {
				continue
			}
			rl := ld.ResourceLogs().AppendEmpty()
			rl.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
			ra := rl.Resource().Attributes()
			ra.PutStr("service.name", svc.name)
			ra.PutStr("k8s.pod.name", svc.pod)
			ra.PutStr("host.name", "ip-10-0-3-17.ec2.internal")
			ra.PutInt("process.pid", r.between(10, 9999))
			for _, scope := range []string{"github.com/example/" + svc.name + "/http", "github.com/example/" + svc.name + "/db"} {
				if len(ts) == 0 {
					break
				}
				sl := rl.ScopeLogs().AppendEmpty()
				sl.Scope().SetName(scope)
				sl.Scope().SetVersion("1.4.2")
				sl.Scope().Attributes().PutStr("library.language", "go")
				for range min(len(ts), int(r.between(1, 9))) {
					t := ts[0]
					ts = ts[1:]
					lr := sl.LogRecords().AppendEmpty()
					lr.SetTimestamp(pcommon.NewTimestampFromTime(t))
					lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(t.Add(time.Duration(r.between(100000, 900000000)))))
					var tid pcommon.TraceID
					var sid pcommon.SpanID
					for i := range tid {
						tid[i] = byte(r.u64())
					}
					for i := range sid {
						sid[i] = byte(r.u64())
					}
					lr.SetTraceID(tid)
					lr.SetSpanID(sid)
					lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
					sev := pick(r, []int{9, 9, 9, 9, 10, 5, 1, 13, 13, 17, 18, 21, 24, 0})
					class := "info"
					switch {
					case sev >= 17:
						class = "error"
					case sev >= 13:
						class = "warn"
					}
					if sev != 0 {
						lr.SetSeverityNumber(plog.SeverityNumber(sev))
						lr.SetSeverityText(text[sev])
					}
					if r.chance(0.3) {
						m := lr.Body().SetEmptyMap()
						m.PutStr("event", "order.placed")
						m.PutDouble("amount", float64(r.between(100, 99999))/100)
						m.PutStr("note", "Bestellung bestätigt ✓")
					} else {
						lr.Body().SetStr(pick(r, []string{"request handled", "connection reset by peer", "slow query", "リクエスト完了"}))
					}
					at := lr.Attributes()
					at.PutStr("http.request.method", pick(r, []string{"GET", "POST"}))
					at.PutInt("http.response.status_code", int64(statusOf(r)))
					at.PutDouble("duration_ms", float64(r.between(1, 99999))/1000)
					tr.add(t, class, none, 0, none)
				}
			}
		}
		if ld.LogRecordCount() == 0 {
			continue
		}
		b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
		if err != nil {
			return nil, err
		}
		lines = append(lines, b)
	}
	var rotated, current bytes.Buffer
	var pretty []byte
	for i, l := range lines {
		switch {
		case i == 7:
			var b bytes.Buffer
			json.Indent(&b, l, "", "  ")
			pretty = append(b.Bytes(), '\n')
		case i < len(lines)/2:
			rotated.Write(l)
			rotated.WriteByte('\n')
		default:
			current.Write(l)
			current.WriteByte('\n')
		}
	}
	in := filepath.Join(dir, "input", "otelcol")
	for name, data := range map[string][]byte{
		"logs-2025-11-08T11-02-13.417.json": rotated.Bytes(),
		"logs.json":                         current.Bytes(),
		"saved/batch-pretty.json":           pretty,
	} {
		if err := writeFile(filepath.Join(in, filepath.FromSlash(name)), data); err != nil {
			return nil, err
		}
	}
	return tr, nil
}
