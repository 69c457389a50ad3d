package input

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/job/shard"
)

// Unit is one piece of work: a whole object, or a byte range of a large
// uncompressed one. A range [off, end) owns the lines that start inside it,
// and reads from off-1 up to stop (see SplitRule.stop).
type Unit struct {
	In       Object
	Off, End int64 // End < 0: the whole object
	Stop     int64 // a range's end of reading
}

// Whole says whether u is the whole object, not a range.
func (u Unit) Whole() bool { return u.End < 0 }

// ID names the unit in shard files and errors: the object's URL, with
// #off-end for a range.
func (u Unit) ID() string {
	if u.Whole() {
		return u.In.URL()
	}
	return u.In.URL() + "#" + strconv.FormatInt(u.Off, 10) + "-" + strconv.FormatInt(u.End, 10)
}

// ShardID is ID as a shard file records it. JSON text is UTF-8, and
// encoding/json writes each invalid byte as U+FFFD, so the ids of
// a\xff.jsonl and a\xfe.jsonl would be one: an id that is not valid UTF-8
// is written "base64:" and its bytes in base64 (no URL starts so).
func (u Unit) ShardID() string {
	id := u.ID()
	if utf8.ValidString(id) {
		return id
	}
	return "base64:" + base64.StdEncoding.EncodeToString([]byte(id))
}

// Size is the bytes u owns: the object's listed size (-1 for standard
// input), or the range's.
func (u Unit) Size() int64 {
	if u.Whole() {
		return u.In.Info.Size
	}
	return u.End - u.Off
}

// Objects returns the objects units read, each once, in the units' order.
func Objects(units []Unit) []Object {
	var objs []Object
	seen := map[string]bool{}
	for _, u := range units {
		if url := u.In.URL(); !seen[url] {
			seen[url] = true
			objs = append(objs, u.In)
		}
	}
	return objs
}

// SplitRule says which objects are read as byte ranges, and how far a
// range reads.
type SplitRule struct {
	bytes     int64 // --split-bytes: split objects larger than this; <= 0 never
	maxLine   int64 // --max-line-bytes
	maxObject int64 // --max-object-bytes
}

// SplitRuleOf is the split rule of a run's settings.
func SplitRuleOf(cfg *settings.Config, res *settings.Resolved) SplitRule {
	return SplitRule{bytes: res.SplitBytes, maxLine: int64(cfg.MaxLineBytes), maxObject: cfg.MaxObjectBytes}
}

// lineSlack is how many bytes past --max-line-bytes a range reads of the
// line that crosses its end, so that the part read is over the limit
// whatever the line reader trims (a byte-order mark, CR): the line is
// line_too_long either way, as a whole read finds it.
const lineSlack = 8

// stop is where a range [off, end) of an object of size bytes stops
// reading: the line crossing end is read to its newline, but no further
// than --max-line-bytes (and lineSlack) past end, since a line that long is
// skipped as too long whatever follows. So a split object's ranges read
// its size plus at most a line each, even if it holds no newline.
func (s SplitRule) stop(end, size int64) int64 {
	return min(size, end+s.maxLine+lineSlack)
}

// PlanUnits splits every uncompressed object larger than rule.bytes into
// ranges of about that many bytes; other objects are whole units. Each
// large object's head is judged as a whole read would judge it: gzip and
// zstd streams, and objects that are not text, are never split. Limits
// apply to objects, not ranges: an object over --max-object-bytes is a
// whole unit, so that it is refused whole as a whole read refuses it.
func PlanUnits(ctx context.Context, inputs []Object, rule SplitRule) ([]Unit, error) {
	var units []Unit
	for _, in := range inputs {
		if rule.bytes <= 0 || in.Info.Size <= rule.bytes || in.Info.Size > rule.maxObject {
			units = append(units, Unit{In: in, End: -1})
			continue
		}
		head, atEOF, err := readHead(ctx, in)
		if err != nil {
			return nil, err
		}
		// Only text is split: a compressed object is one stream, and one
		// that is not text is judged (and reported damaged) whole, as its
		// ranges would each be judged by their own head otherwise.
		if codec, err := features.Sniff(head, atEOF); codec != features.CodecNone || err != nil {
			units = append(units, Unit{In: in, End: -1})
			continue
		}
		n := (in.Info.Size + rule.bytes - 1) / rule.bytes
		for i := range n {
			off := in.Info.Size * i / n
			end := in.Info.Size * (i + 1) / n
			units = append(units, Unit{In: in, Off: off, End: end, Stop: rule.stop(end, in.Info.Size)})
		}
	}
	return units, nil
}

// readHead reads the first features.SniffSize bytes of in, as listed, and
// says whether that is all of it. Like every read of an input it resumes
// after a dropped connection at the byte it reached.
func readHead(ctx context.Context, in Object) ([]byte, bool, error) {
	rc := in.Bucket.StreamRange(ctx, in.Info, 0, features.SniffSize)
	defer rc.Close()
	head := make([]byte, features.SniffSize)
	n, err := io.ReadFull(rc, head)
	switch err {
	case nil:
		return head, false, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return head[:n], true, nil
	}
	return nil, false, failure.Storage(fmt.Errorf("read header of %s: %w", in.URL(), err))
}

// AssignShard returns the units of shard i of n (see DealShards), sorted
// by id. The result depends only on the listing.
func AssignShard(units []Unit, i, n int) []Unit {
	var mine []Unit
	for k, s := range DealShards(units, n) {
		if s == i {
			mine = append(mine, units[k])
		}
	}
	slices.SortFunc(mine, func(a, b Unit) int { return cmp.Compare(a.ID(), b.ID()) })
	return mine
}

// DealShards returns the shard (0 to n-1) of each unit, by index (see
// shard.Deal); plan uses it to foresee the slowest shard.
func DealShards(units []Unit, n int) []int {
	return shard.Deal(ShardUnits(units), n)
}

// ShardUnits is units as package shard deals them: each one's id and size.
func ShardUnits(units []Unit) []shard.Unit {
	us := make([]shard.Unit, len(units))
	for k, u := range units {
		us[k] = shard.Unit{ID: u.ID(), Size: u.Size()}
	}
	return us
}

// rangeReader passes the lines that start in [off, end) of a stream that
// begins at byte off-1 (or at 0 when off is 0): it drops everything up to
// and including the first newline, which ends the line owned by the range
// before, and stops after the newline that ends the line crossing end.
// When no newline comes before end-1, no line starts in the range: it stops
// there, without reading the rest of the object to find one.
type rangeReader struct {
	r        io.Reader
	pos      int64 // stream position of the next byte from r
	end      int64
	skipping bool
	done     bool
}

func newRangeReader(r io.Reader, off, end int64) *rangeReader {
	if off == 0 {
		return &rangeReader{r: r, pos: 0, end: end}
	}
	return &rangeReader{r: r, pos: off - 1, end: end, skipping: true}
}

func (r *rangeReader) Read(p []byte) (int, error) {
	for {
		if r.done {
			return 0, io.EOF
		}
		buf := p
		if r.skipping {
			// A newline at end-1 or later would start a line of the next
			// range: look no further than end-2.
			left := r.end - 1 - r.pos
			if left <= 0 {
				r.done = true
				return 0, io.EOF
			}
			if int64(len(buf)) > left {
				buf = buf[:left]
			}
		}
		n, err := r.r.Read(buf)
		chunk := buf[:n]
		start := r.pos
		r.pos += int64(n)
		if r.skipping {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				if err != nil {
					return 0, err
				}
				continue
			}
			r.skipping = false
			start += int64(i + 1)
			chunk = chunk[i+1:]
			if start >= r.end {
				r.done = true // the first line we would own starts in the next range
				return 0, io.EOF
			}
		}
		if start+int64(len(chunk)) >= r.end {
			// A newline at or after end-1 ends the last line we own.
			from := max(0, r.end-1-start)
			if from < int64(len(chunk)) {
				if j := bytes.IndexByte(chunk[from:], '\n'); j >= 0 {
					chunk = chunk[:from+int64(j)+1]
					r.done = true
				}
			}
		}
		if len(chunk) == 0 {
			if err != nil || r.done {
				return 0, cmp.Or(err, io.EOF)
			}
			continue
		}
		// Move the kept bytes to the front of p.
		n = copy(p, chunk)
		if r.done {
			return n, nil
		}
		return n, err
	}
}
