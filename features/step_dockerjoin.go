package features

import (
	"bytes"
	"maps"
	"slices"

	"github.com/valyala/fastjson"
)

// maxJoins bounds the lines a join step holds open at once: the
// runtimes write two streams (stdout, stderr); a part of a line of a
// stream beyond that many is bad_shape.
const maxJoins = 4

// dockerJoinStep joins the entries of Docker's json-file driver that hold
// the parts of one long line (16 KiB each; every part but the last lacks
// the newline), per stream. The joined entry keeps the first part's other
// fields (its time: when the line was started).
//
// A line whose parts exceed the record limit is one line_too_long; its
// later parts are dropped up to its last. A line still open at the end of
// the object is reported as partial_line (see ReasonPartialLine).
type dockerJoinStep struct {
	max                      int
	p                        fastjson.Parser
	scratch, text, streamBuf []byte
	out                      []byte
	pending                  map[string]*dockerPending
}

type dockerPending struct {
	first   []byte // the first part's entry
	log     []byte // the parts so far
	discard bool   // over the limit (counted): drop the parts up to the last
}

func (j *dockerJoinStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	root, ok := parseObject(&j.p, rec)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	var content []byte
	if content, j.scratch, ok = stringContent(j.scratch, j.text, lastGet(root, "log")); !ok {
		out(rec) // no log string: nothing to join (unwrap judges it)
		return
	}
	j.text = content[:0:cap(content)]
	var stream []byte
	if stream, j.scratch, ok = stringContent(j.scratch, j.streamBuf, lastGet(root, "stream")); ok {
		j.streamBuf = stream[:0:cap(stream)]
	}
	pd := j.pending[string(stream)] // no allocation: a map lookup by converted bytes
	whole := len(content) > 0 && content[len(content)-1] == '\n'
	if pd == nil && whole {
		out(rec)
		return
	}
	if pd == nil {
		if len(j.pending) >= maxJoins {
			bad(ReasonBadShape, rec)
			return
		}
		pd = &dockerPending{first: slices.Clone(rec)}
		j.pending[string(stream)] = pd
	}
	if !pd.discard {
		pd.log = append(pd.log, content...)
		if len(pd.log) > j.max {
			pd.discard, pd.log, pd.first = true, nil, nil
			bad(ReasonLineTooLong, nil)
		}
	}
	if whole {
		delete(j.pending, string(stream))
		if !pd.discard {
			j.emit(pd, out)
		}
	}
}

// tooLong takes the end of an entry the reader skipped: Docker writes
// "log" first, then "stream" and "time", so the tail tells its stream and
// whether its log ended the line. The line it is part of is dropped up to
// its last part (the skip counted the whole line once). When the tail does
// not tell, every open line is dropped.
func (j *dockerJoinStep) tooLong(_, tail []byte) {
	stream, whole, ok := dockerTail(tail)
	if !ok {
		for _, pd := range j.pending {
			pd.discard, pd.log, pd.first = true, nil, nil
		}
		return
	}
	if whole {
		delete(j.pending, stream)
		return
	}
	if _, open := j.pending[stream]; open || len(j.pending) < maxJoins {
		j.pending[stream] = &dockerPending{discard: true}
	}
}

// dockerTail reads the stream of a json-file entry from its last bytes, and
// whether its log ends with a newline.
func dockerTail(tail []byte) (stream string, whole, ok bool) {
	for _, s := range []string{"stdout", "stderr"} {
		i := bytes.LastIndex(tail, []byte(`","stream":"`+s+`"`))
		if i < 0 {
			continue
		}
		// The log ends with the escape \n: an 'n' after an odd run of
		// backslashes.
		log := tail[:i]
		n := 0
		for len(log) >= 2+n && log[len(log)-2-n] == '\\' {
			n++
		}
		return s, len(log) > 0 && log[len(log)-1] == 'n' && n%2 == 1, true
	}
	return "", false, false
}

// emit passes the first part's entry with the joined log.
func (j *dockerJoinStep) emit(pd *dockerPending, out func([]byte)) {
	root, ok := parseObject(&j.p, pd.first)
	if !ok {
		return // parsed once already
	}
	j.out, _ = appendReplaced(j.out[:0], root, []string{"log"}, func(dst []byte, _ *fastjson.Value) ([]byte, bool) {
		return appendJSONString(dst, pd.log), true
	})
	out(j.out)
}

// flush reports the lines still open as partial_line.
func (j *dockerJoinStep) flush(_ func([]byte), bad func(Reason, []byte)) {
	for _, s := range slices.Sorted(maps.Keys(j.pending)) {
		if pd := j.pending[s]; !pd.discard {
			bad(ReasonPartialLine, pd.first)
		}
	}
	clear(j.pending)
}
