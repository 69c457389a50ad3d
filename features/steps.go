package features

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// stepRunner is a Step with the state it keeps while reading one object.
// apply passes each event the record rec gives to out, and each part of
// rec it refuses, with the reason, to bad; both are called before apply
// returns, with bytes valid only during the call. flush, at the end of the
// object, reports what the step still holds (joins not completed) and
// forgets it.
type stepRunner interface {
	apply(rec []byte, out func([]byte), bad func(Reason, []byte))
	flush(out func([]byte), bad func(Reason, []byte))
}

// newStepRunner returns the runner of s; maxRec bounds a joined record.
func newStepRunner(s Step, maxRec int) stepRunner {
	switch s.Kind {
	case StepCRI:
		return &criStep{max: maxRec, pending: map[string]*criPending{}}
	case StepCloudWatchExport:
		return &cloudWatchExportStep{}
	case StepALB:
		return &albStep{}
	case StepRegexp:
		return &regexpStep{s: s}
	case StepDockerJoin:
		return &dockerJoinStep{max: maxRec, pending: map[string]*dockerPending{}}
	case StepUnwrap:
		return &unwrapStep{s: s}
	case StepExplode:
		return &explodeStep{s: s}
	case StepAttributes:
		return &attributesStep{s: s}
	case StepKeep:
		return &keepStep{s: s}
	case StepCoalesce:
		return &coalesceStep{s: s}
	}
	panic("features: unknown step kind")
}

// parseObject parses rec as a JSON object; ok is false, as the decoder's
// not_json, for anything validObject refuses (fastjson's parser alone takes
// 01, NaN, \q and raw control bytes).
func parseObject(p *fastjson.Parser, rec []byte) (*fastjson.Object, bool) {
	if !validObject(rec) {
		return nil, false
	}
	v, err := p.ParseBytes(rec)
	if err != nil {
		return nil, false
	}
	o, err := v.Object()
	return o, err == nil
}

// isArray reports whether v is an array. Value.Array would turn a string
// value into its best-effort decoding (see rawText) to name it in its
// error; GetArray does not, but gives nil for an empty array too.
func isArray(v *fastjson.Value) bool {
	return v != nil && v.GetArray() != nil || v != nil && v.GetObject() == nil && string(rawText(nil, v)) == "[]"
}

// rawText returns v's JSON text as it was in the input. Strings keep their
// escapes as written (see Decoder.fromFastjson): nothing here may call
// Type or StringBytes on a value that is written out again.
func rawText(dst []byte, v *fastjson.Value) []byte { return v.MarshalTo(dst) }

// stringContent returns the decoded content of v when it is a JSON string;
// ok is false for any other value and for a string with an escape that
// decodes to no text.
func stringContent(scratch, dst []byte, v *fastjson.Value) (content, raw []byte, ok bool) {
	if v == nil {
		return nil, scratch, false
	}
	if v.GetObject() != nil || isArray(v) {
		return nil, scratch, false
	}
	scratch = v.MarshalTo(scratch[:0])
	if len(scratch) < 2 || scratch[0] != '"' {
		return nil, scratch, false
	}
	content, ok = appendUnescaped(dst[:0], scratch[1:len(scratch)-1])
	return content, scratch, ok
}

// appendJSONString appends s as a JSON string. Quotes, backslashes and
// control bytes are escaped; every other byte, invalid UTF-8 included, is
// copied, so the string decodes back to exactly s.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// objectWriter appends the members of a JSON object.
type objectWriter struct {
	b     []byte
	first bool
}

func (w *objectWriter) open(dst []byte) { w.b, w.first = append(dst, '{'), true }

func (w *objectWriter) key(k []byte) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

// rawKey writes a key given as its JSON text, quotes included.
func (w *objectWriter) rawKey(quoted []byte) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, quoted...)
	w.b = append(w.b, ':')
}

func (w *objectWriter) member(k []byte, v *fastjson.Value) {
	w.key(k)
	w.b = rawText(w.b, v)
}

func (w *objectWriter) close() []byte { return append(w.b, '}') }

const parentKey = "@parent"

// appendMerged appends the event taken out of parent: child's members,
// then parent's other members unless child has one of that name, then
// parent's members under @parent. skip is the member of parent the child
// was taken from ("" when it was deeper), left out with parent's own
// @parent. A nil child stands for the object {childKey: childRaw}.
func appendMerged(dst []byte, child *fastjson.Object, childKey string, childRaw []byte, parent *fastjson.Object, skip string) []byte {
	var w objectWriter
	w.open(dst)
	has := func(k []byte) bool { return child.Get(string(k)) != nil }
	if child != nil {
		// The child's own @parent (an application's field of that name) is
		// left out: @parent is always the wrapper's.
		child.Visit(func(k []byte, v *fastjson.Value) {
			if string(k) != parentKey {
				w.member(k, v)
			}
		})
	} else {
		w.key([]byte(childKey))
		w.b = append(w.b, childRaw...)
		has = func(k []byte) bool { return string(k) == childKey }
	}
	ours := func(k []byte) bool { return (skip == "" || string(k) != skip) && string(k) != parentKey }
	parent.Visit(func(k []byte, v *fastjson.Value) {
		if ours(k) && !has(k) {
			w.member(k, v)
		}
	})
	w.key([]byte(parentKey))
	var pw objectWriter
	pw.open(w.b)
	parent.Visit(func(k []byte, v *fastjson.Value) {
		if ours(k) {
			pw.member(k, v)
		}
	})
	w.b = pw.close()
	return w.close()
}

// getPath returns the value at path in o, or nil: at each level the last
// member of that name, as the decoder reads a line (see lastGet).
func getPath(o *fastjson.Object, path []string) *fastjson.Value {
	v := lastGet(o, path[0])
	for _, k := range path[1:] {
		v = lastGet(v.GetObject(), k) // nil when v is no object
	}
	return v
}

// topKey is the member of the document a path's value is taken out of:
// its only key, or "" for a deeper path (the document is kept whole).
func topKey(path []string) string {
	if len(path) == 1 {
		return path[0]
	}
	return ""
}

// unwrapStep decodes the JSON object in a string field. A string that is
// not a JSON object (text) stays where it was, as {field: text}; one that
// starts like an object but does not parse is not_json. A field that is
// already an object is taken as it is.
type unwrapStep struct {
	s             Step
	outer, inner  fastjson.Parser
	scratch, text []byte
	out           []byte
}

func (u *unwrapStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	root, ok := parseObject(&u.outer, rec)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	v := getPath(root, u.s.Path)
	if v == nil {
		bad(ReasonBadShape, rec)
		return
	}
	last := u.s.Path[len(u.s.Path)-1]
	if o := v.GetObject(); o != nil {
		u.out = appendMerged(u.out[:0], o, "", nil, root, topKey(u.s.Path))
		out(u.out)
		return
	}
	var content []byte
	content, u.scratch, ok = stringContent(u.scratch, u.text, v)
	u.text = content[:0:cap(content)]
	if !ok {
		bad(ReasonBadShape, rec)
		return
	}
	// Whitespace and byte-order marks (.NET writes one to stdout) before
	// the document are not part of it.
	t := content
	for {
		t = bytes.TrimLeft(t, " \t\r\n")
		rest, found := bytes.CutPrefix(t, utf8BOM)
		if !found {
			break
		}
		t = rest
	}
	if len(t) == 0 || t[0] != '{' {
		u.out = appendMerged(u.out[:0], nil, last, u.scratch, root, topKey(u.s.Path))
		out(u.out)
		return
	}
	child, ok := parseObject(&u.inner, t)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	u.out = appendMerged(u.out[:0], child, "", nil, root, topKey(u.s.Path))
	out(u.out)
}

func (u *unwrapStep) flush(func([]byte), func(Reason, []byte)) {}

// explodeStep makes each object of an array an event.
type explodeStep struct {
	s   Step
	p   fastjson.Parser
	out []byte
}

func (e *explodeStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	root, ok := parseObject(&e.p, rec)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	v := getPath(root, e.s.Path)
	var arr []*fastjson.Value
	if v != nil {
		arr = v.GetArray()
	}
	if arr == nil {
		if v != nil && bytes.Equal(rawText(e.out[:0], v), []byte("[]")) {
			return // an empty array holds no event
		}
		bad(ReasonBadShape, rec)
		return
	}
	for _, el := range arr {
		o := el.GetObject()
		if o == nil {
			e.out = rawText(e.out[:0], el)
			bad(ReasonBadShape, e.out)
			continue
		}
		e.out = appendMerged(e.out[:0], o, "", nil, root, topKey(e.s.Path))
		out(e.out)
	}
}

func (e *explodeStep) flush(func([]byte), func(Reason, []byte)) {}

// keepStep passes the events whose field holds a value.
type keepStep struct {
	s             Step
	p             fastjson.Parser
	scratch, text []byte
}

func (k *keepStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	root, ok := parseObject(&k.p, rec)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	v := getPath(root, k.s.Path)
	var content []byte
	if content, k.scratch, ok = stringContent(k.scratch, k.text, v); ok {
		k.text = content[:0:cap(content)]
	} else if v != nil {
		content = k.scratch // a number, true, false, null: its text
	}
	if v != nil && string(content) == k.s.Value {
		out(rec)
		return
	}
	bad(ReasonFiltered, rec)
}

func (k *keepStep) flush(func([]byte), func(Reason, []byte)) {}

// coalesceStep sets a top-level field to the first of several that has a
// value. The field is written first and every member of the same name
// already there is left out, so it is the one read.
type coalesceStep struct {
	s            Step
	p            fastjson.Parser
	out, scratch []byte
}

func (c *coalesceStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	root, ok := parseObject(&c.p, rec)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	var w objectWriter
	w.open(c.out[:0])
	for _, f := range c.s.From {
		v := getPath(root, f)
		if v == nil {
			continue
		}
		c.scratch = rawText(c.scratch[:0], v)
		switch string(c.scratch) {
		case "null", `""`, "0", `"0"`:
			continue
		}
		w.key([]byte(c.s.Path[0]))
		w.b = append(w.b, c.scratch...)
		break
	}
	key := c.s.Path[0]
	root.Visit(func(k []byte, v *fastjson.Value) {
		if string(k) != key {
			w.member(k, v)
		}
	})
	c.out = w.close()
	out(c.out)
}

func (c *coalesceStep) flush(func([]byte), func(Reason, []byte)) {}
