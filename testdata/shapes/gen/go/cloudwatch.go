package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// cwStreams are the log streams of the CloudWatch fixtures: a Lambda
// function's (START/END/REPORT text lines around JSON) and an ECS task's.
var cwStreams = []struct {
	group, stream string
	lambda        bool
}{
	{"/aws/lambda/checkout", "2025/11/08/[$LATEST]4f1c9d2e8b7a46c3a1e5f0b2c9d8e7f6", true},
	{"/ecs/api", "ecs/api/0f2b6c1d9e8a4b7c8d5e3f1a2b4c6d8e", false},
}

// cwEvent is one CloudWatch Logs event: its time (ms) and message.
type cwEvent struct {
	t   time.Time
	msg string
}

// cwEvents draws a stream's events and records their truth.
func cwEvents(r *rng, tr *truth, lambda bool, n int) []cwEvent {
	var evs []cwEvent
	for _, t := range times(r, n, time.Millisecond) {
		if lambda && r.chance(0.2) {
			id := r.hex(8) + "-" + r.hex(4) + "-" + r.hex(4) + "-" + r.hex(4) + "-" + r.hex(12)
			msg := pick(r, []string{
				"START RequestId: " + id + " Version: $LATEST",
				"END RequestId: " + id,
				fmt.Sprintf("REPORT RequestId: %s\tDuration: %d.%02d ms\tBilled Duration: %d ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB", id, r.between(1, 900), r.between(0, 99), r.between(1, 901)),
			})
			evs = append(evs, cwEvent{t, msg})
			tr.add(t, "info", none, 0, none)
			continue
		}
		ev := newAppEvent(r, t, true, false)
		evs = append(evs, cwEvent{t, string(ev.line)})
		tr.add(t, ev.level, ev.latency, 0, none)
	}
	return evs
}

// genCloudWatchExport writes what a CloudWatch Logs export task
// (CreateExportTask) leaves in S3, by AWS's documentation
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html):
// <prefix>/<task id>/<log stream>/000000.gz, gzip, one event per line as
// "<RFC 3339 time, ms, Z> <message>", and the aws-logs-write-test object the
// task writes at the prefix to check its permissions (one line that is not
// an event: the fixture's one bad line).
func genCloudWatchExport(dir string) (*truth, error) {
	r := newRNG(0xc10d)
	tr := &truth{}
	base := filepath.Join(dir, "input", "exportedlogs")
	if err := writeFile(filepath.Join(base, "aws-logs-write-test"), []byte("Permission Check Successful")); err != nil {
		return nil, err
	}
	task := "7b1e4c2a-9d3f-4e8b-a6c5-0f1e2d3c4b5a"
	for _, s := range cwStreams {
		var b bytes.Buffer
		for _, e := range cwEvents(r, tr, s.lambda, 90) {
			fmt.Fprintf(&b, "%s %s\n", e.t.Format("2006-01-02T15:04:05.000Z07:00"), e.msg)
		}
		if err := writeFile(filepath.Join(base, task, filepath.FromSlash(s.stream), "000000.gz"), gz(b.Bytes())); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// cwPayload is the document a CloudWatch Logs subscription filter delivers,
// by AWS's documentation, members in its order
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample).
type cwPayload struct {
	MessageType         string       `json:"messageType"`
	Owner               string       `json:"owner"`
	LogGroup            string       `json:"logGroup"`
	LogStream           string       `json:"logStream"`
	SubscriptionFilters []string     `json:"subscriptionFilters"`
	LogEvents           []cwLogEvent `json:"logEvents"`
}

type cwLogEvent struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// genCloudWatchSubscription writes what a subscription filter sends
// through Amazon Data Firehose to S3: each record is one payload document,
// gzip-compressed by CloudWatch Logs, and Firehose concatenates the records
// of a buffer into one object under the UTC hour of its arrival
// (YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>), with no
// separator: the object is a series of gzip members, each holding one
// document. Each destination starts with CloudWatch's CONTROL_MESSAGE
// (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-cloudwatch-logs.html).
func genCloudWatchSubscription(dir string) (*truth, error) {
	r := newRNG(0x5ab5)
	tr := &truth{}
	type doc struct {
		arrival time.Time
		body    []byte
	}
	docs := []doc{{start.Add(-2 * time.Minute), mustJSON(cwPayload{
		MessageType: "CONTROL_MESSAGE", Owner: "CloudwatchLogs", SubscriptionFilters: []string{},
		LogEvents: []cwLogEvent{{Timestamp: start.Add(-2 * time.Minute).UnixMilli(), Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."}},
	})}}
	for _, s := range cwStreams {
		evs := cwEvents(r, tr, s.lambda, 90)
		for len(evs) > 0 {
			n := min(len(evs), int(r.between(1, 12)))
			batch := cwPayload{MessageType: "DATA_MESSAGE", Owner: "123456789012", LogGroup: s.group,
				LogStream: s.stream, SubscriptionFilters: []string{"to-s3"}}
			for _, e := range evs[:n] {
				batch.LogEvents = append(batch.LogEvents, cwLogEvent{ID: r.digits(56), Timestamp: e.t.UnixMilli(), Message: e.msg})
			}
			arrival := evs[n-1].t.Add(time.Duration(r.between(5, 90)) * time.Second)
			docs = append(docs, doc{arrival, mustJSON(batch)})
			evs = evs[n:]
		}
	}
	docs = append(docs, doc{start.Add(61 * time.Minute), mustJSON(cwPayload{
		MessageType: "CONTROL_MESSAGE", Owner: "CloudwatchLogs", SubscriptionFilters: []string{},
		LogEvents: []cwLogEvent{{Timestamp: start.Add(61 * time.Minute).UnixMilli(), Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."}},
	})})
	slices.SortStableFunc(docs, func(a, b doc) int { return a.arrival.Compare(b.arrival) })
	// Firehose buffers: an object per 5 minutes of arrival (its buffer
	// interval), named by the time it was written, filed by that hour.
	for len(docs) > 0 {
		flush := docs[0].arrival.Truncate(5 * time.Minute).Add(5 * time.Minute)
		var b bytes.Buffer
		for len(docs) > 0 && docs[0].arrival.Before(flush) {
			b.Write(gz(docs[0].body))
			docs = docs[1:]
		}
		name := fmt.Sprintf("%s/cwl-to-s3-1-%s-%s", flush.Format("2006/01/02/15"), flush.Format("2006-01-02-15-04-05"), uuid(r))
		if err := writeFile(filepath.Join(dir, "input", filepath.FromSlash(name)), b.Bytes()); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// uuid returns a random version 4 UUID.
func uuid(r *rng) string {
	h := r.hex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + "89ab"[r.u64()%4:][:1] + h[17:20] + "-" + h[20:]
}
