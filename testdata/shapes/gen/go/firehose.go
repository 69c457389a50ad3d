package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"
)

// genFirehose writes what Amazon Data Firehose delivers to S3 from
// producers that put JSON records, by AWS's documentation
// (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html#s3-object-name):
// the records of a buffer concatenated with nothing between them, in an
// object under the UTC hour of arrival named
// <stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>, with ".gz" when the stream
// compresses. Producers differ: most put compact JSON, some end each
// record with a newline, and one here puts pretty-printed JSON.
func genFirehose(dir string) (*truth, error) {
	r := newRNG(0xf14e)
	tr := &truth{}
	type rec struct {
		t    time.Time
		data []byte
	}
	var recs []rec
	for _, t := range times(r, 200, time.Millisecond) {
		ev := newAppEvent(r, t, false, true)
		data := ev.line
		switch {
		case r.chance(0.15):
			var b bytes.Buffer
			json.Indent(&b, data, "", "  ")
			data = append(b.Bytes(), '\n')
		case r.chance(0.25):
			data = append(data, '\n')
		}
		recs = append(recs, rec{t, data})
		tr.add(t, ev.level, ev.latency, 0, none)
	}
	for len(recs) > 0 {
		// A buffer flushes every 5 minutes of arrival; records arrive a
		// few seconds after their event.
		flush := recs[0].t.Add(3 * time.Second).Truncate(5 * time.Minute).Add(5 * time.Minute)
		var b bytes.Buffer
		for len(recs) > 0 && recs[0].t.Add(3*time.Second).Before(flush) {
			b.Write(recs[0].data)
			recs = recs[1:]
		}
		name := fmt.Sprintf("%s/app-events-1-%s-%s", flush.Format("2006/01/02/15"), flush.Format("2006-01-02-15-04-05"), uuid(r))
		data := b.Bytes()
		if flush.Hour() == 10 { // the first hour's stream compressed with GZIP
			name, data = name+".gz", gz(data)
		}
		if err := writeFile(filepath.Join(dir, "input", filepath.FromSlash(name)), data); err != nil {
			return nil, err
		}
	}
	return tr, nil
}
