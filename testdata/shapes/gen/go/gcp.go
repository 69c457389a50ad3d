package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	ltype "google.golang.org/genproto/googleapis/logging/type"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// genGCP writes Cloud Logging entries as a log sink exports them to Cloud
// Storage: one LogEntry per line in the proto3 JSON mapping, here encoded
// by Google's own LogEntry message (cloud.google.com/go/logging's
// loggingpb) with protobuf's protojson — timestamps in RFC 3339 with
// nanoseconds, httpRequest.latency as a Duration string ("0.005s"),
// responseSize as an int64 string, severity as its name and left out when
// DEFAULT. protojson randomly adds a space after some commas so that no one
// relies on its bytes; the lines are compacted, which removes only that.
// The sink files an hour per object
// (https://cloud.google.com/logging/docs/export/storage#gcs-organization):
// <log id>/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json; the ':' are '-' here, as Go
// module zips refuse ':' in file names.
func genGCP(dir string) (*truth, error) {
	r := newRNG(0x6c9)
	tr := &truth{}
	res := &monitoredres.MonitoredResource{Type: "cloud_run_revision", Labels: map[string]string{
		"configuration_name": "checkout", "location": "europe-west1", "project_id": "shop-prod",
		"revision_name": "checkout-00042-xuz", "service_name": "checkout"}}
	files := map[string]*bytes.Buffer{}
	emit := func(logID string, e *loggingpb.LogEntry) error {
		e.LogName = "projects/shop-prod/logs/" + strings.ReplaceAll(logID, "/", "%2F")
		e.Resource = res
		b, err := protojson.Marshal(e)
		if err != nil {
			return err
		}
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil {
			return err
		}
		h := e.Timestamp.AsTime().Truncate(time.Hour)
		name := fmt.Sprintf("%s/%s/%s-00-00_%s-59-59_S0.json", logID, h.Format("2006/01/02"), h.Format("15"), h.Format("15"))
		if files[name] == nil {
			files[name] = &bytes.Buffer{}
		}
		files[name].Write(c.Bytes())
		files[name].WriteByte('\n')
		return nil
	}
	for _, t := range times(r, 140, time.Nanosecond) {
		e := &loggingpb.LogEntry{
			Timestamp:        timestamppb.New(t),
			ReceiveTimestamp: timestamppb.New(t.Add(time.Duration(r.between(1e6, 3e9)))),
			InsertId:         r.hex(16),
			Trace:            "projects/shop-prod/traces/" + r.hex(32),
		}
		if r.chance(0.35) { // the application's own entries
			sev := pick(r, []struct {
				s     ltype.LogSeverity
				class string
			}{{ltype.LogSeverity_DEFAULT, "info"}, {ltype.LogSeverity_DEBUG, "info"}, {ltype.LogSeverity_INFO, "info"},
				{ltype.LogSeverity_NOTICE, "info"}, {ltype.LogSeverity_WARNING, "warn"}, {ltype.LogSeverity_ERROR, "error"},
				{ltype.LogSeverity_CRITICAL, "error"}, {ltype.LogSeverity_ALERT, "error"}, {ltype.LogSeverity_EMERGENCY, "error"}})
			e.Severity = sev.s
			logID := "run.googleapis.com/stdout"
			if sev.s == ltype.LogSeverity_DEFAULT {
				e.Payload = &loggingpb.LogEntry_TextPayload{TextPayload: pick(r, textLines)}
			} else {
				p, _ := structpb.NewStruct(map[string]any{"message": pick(r, appMessages).msg, "component": "worker", "attempt": float64(r.between(1, 3))})
				e.Payload = &loggingpb.LogEntry_JsonPayload{JsonPayload: p}
				if sev.s >= ltype.LogSeverity_WARNING {
					logID = "run.googleapis.com/stderr"
				}
			}
			if err := emit(logID, e); err != nil {
				return nil, err
			}
			tr.add(t, sev.class, none, 0, none)
			continue
		}
		// A request log, as Cloud Run writes it: severity by status.
		status := statusOf(r)
		lat := latencyOf(r, status)
		if r.chance(0.5) {
			lat += time.Duration(r.between(1, 999)) // some at ns resolution
		}
		if r.chance(0.05) {
			lat = time.Duration(r.between(1, 3)) * time.Second // whole seconds: "2s"
		}
		size := r.between(0, 250000)
		if status == 204 || status == 304 {
			size = 0
		}
		e.HttpRequest = &ltype.HttpRequest{
			RequestMethod: pick(r, []string{"GET", "GET", "POST", "PUT"}),
			RequestUrl:    "https://checkout-abc123-ew.a.run.app" + pick(r, paths),
			RequestSize:   r.between(0, 4000), Status: int32(status), ResponseSize: size,
			UserAgent: pick(r, []string{"curl/8.5.0", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/17.5"}),
			RemoteIp:  fmt.Sprintf("198.51.100.%d", r.between(1, 254)), ServerIp: "216.239.32.53",
			Latency: durationpb.New(lat), Protocol: "HTTP/1.1",
		}
		class := classOfStatus(status)
		e.Severity = map[string]ltype.LogSeverity{"error": ltype.LogSeverity_ERROR, "warn": ltype.LogSeverity_WARNING, "info": ltype.LogSeverity_INFO}[class]
		if err := emit("run.googleapis.com/requests", e); err != nil {
			return nil, err
		}
		tr.add(t, class, lat, status, size)
	}
	for name, b := range files {
		if err := writeFile(filepath.Join(dir, "input", filepath.FromSlash(name)), b.Bytes()); err != nil {
			return nil, err
		}
	}
	return tr, nil
}
