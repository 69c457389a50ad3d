package features

import (
	"github.com/valyala/fastjson"
)

// attributesStep turns an OTLP key/value list into an object.
type attributesStep struct {
	s   Step
	p   fastjson.Parser
	out []byte
}

func (a *attributesStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	root, ok := parseObject(&a.p, rec)
	if !ok {
		bad(ReasonNotJSON, rec)
		return
	}
	v := getPath(root, a.s.Path)
	if v == nil {
		out(rec) // no attributes
		return
	}
	if !isArray(v) {
		out(rec) // not a list: an object already, or null
		return
	}
	a.out, ok = appendReplaced(a.out[:0], root, a.s.Path, appendKeyValues)
	if !ok {
		bad(ReasonBadShape, rec)
		return
	}
	out(a.out)
}

func (a *attributesStep) flush(func([]byte), func(Reason, []byte)) {}

// appendReplaced appends o with the value at path replaced by what repl
// appends for it (the last member of each name is the one followed, as in
// getPath; earlier ones are kept as they are, and the last still wins).
func appendReplaced(dst []byte, o *fastjson.Object, path []string, repl func([]byte, *fastjson.Value) ([]byte, bool)) ([]byte, bool) {
	last, i := -1, 0
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if string(k) == path[0] {
			last = i
		}
		i++
	})
	var w objectWriter
	w.open(dst)
	ok := true
	i = 0
	o.Visit(func(k []byte, v *fastjson.Value) {
		w.key(k)
		if i++; !ok || i-1 != last {
			w.b = rawText(w.b, v)
			return
		}
		if len(path) == 1 {
			w.b, ok = repl(w.b, v)
			return
		}
		if vo := v.GetObject(); vo != nil {
			w.b, ok = appendReplaced(w.b, vo, path[1:], repl)
			return
		}
		w.b = rawText(w.b, v)
	})
	return w.close(), ok
}

// appendKeyValues appends the OTLP JSON list of KeyValue v
// ([{"key":k,"value":AnyValue}]) as the object {k: value}.
func appendKeyValues(dst []byte, v *fastjson.Value) ([]byte, bool) {
	arr, isArr := v.GetArray(), isArray(v)
	if !isArr {
		return dst, false
	}
	var w objectWriter
	w.open(dst)
	for _, kv := range arr {
		o := kv.GetObject()
		if o == nil {
			return dst, false
		}
		k := lastGet(o, "key")
		if k == nil {
			return dst, false
		}
		key := rawText(nil, k)
		if len(key) < 2 || key[0] != '"' {
			return dst, false
		}
		w.rawKey(key)
		var ok bool
		if w.b, ok = appendAnyValue(w.b, lastGet(o, "value")); !ok {
			return dst, false
		}
	}
	return w.close(), true
}

// appendAnyValue appends an OTLP JSON AnyValue as the JSON value it holds:
// stringValue and bytesValue as strings, boolValue as a boolean, intValue
// (a decimal string in OTLP JSON) and doubleValue as numbers, arrayValue as
// an array, kvlistValue as an object; a missing or empty value as null.
func appendAnyValue(dst []byte, v *fastjson.Value) ([]byte, bool) {
	if v == nil {
		return append(dst, "null"...), true
	}
	o := v.GetObject()
	if o == nil {
		return dst, false
	}
	if o.Len() == 0 {
		return append(dst, "null"...), true
	}
	// One member is the value; of several (the same kind repeated, or a
	// producer's mistake), the last wins, as for any repeated key.
	var kind string
	var val *fastjson.Value
	o.Visit(func(k []byte, x *fastjson.Value) {
		kind, val = string(k), x
	})
	raw := rawText(nil, val)
	switch kind {
	case "stringValue", "bytesValue":
		if raw[0] != '"' {
			return dst, false
		}
		return append(dst, raw...), true
	case "boolValue":
		return append(dst, raw...), raw[0] == 't' || raw[0] == 'f'
	case "intValue", "doubleValue":
		if raw[0] == '"' {
			s := raw[1 : len(raw)-1]
			if isJSONNumber(s) {
				return append(dst, s...), true
			}
			return append(dst, raw...), kind == "doubleValue" // NaN, Infinity
		}
		return append(dst, raw...), isJSONNumber(raw)
	case "arrayValue", "kvlistValue":
		inner := val.GetObject()
		if inner == nil {
			return dst, false
		}
		values := lastGet(inner, "values")
		if kind == "kvlistValue" {
			if values == nil {
				return append(dst, "{}"...), true
			}
			return appendKeyValues(dst, values)
		}
		if values == nil {
			return append(dst, "[]"...), true
		}
		arr, isArr := values.GetArray(), isArray(values)
		if !isArr {
			return dst, false
		}
		dst = append(dst, '[')
		for i, x := range arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendAnyValue(dst, x); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	}
	return dst, false
}

// isJSONNumber reports whether s is a JSON number literal.
func isJSONNumber(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	return scanNumber(s, 0) == len(s)
}
