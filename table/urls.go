package table

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// A manifest names objects by URL, and an object key (a local file name
// too) may hold any bytes, while JSON text is UTF-8: encoding/json writes
// each invalid byte as U+FFFD, so the files a\xff.jsonl and a\xfe.jsonl
// would both be recorded as a\ufffd.jsonl. A URL that is not valid UTF-8 is
// therefore also written whole, byte for byte, in base64 beside it
// ("url_base64"); reading the manifest takes the URL from there, so the URL
// read back is the URL written and two such inputs never compare equal.

// MarshalJSON writes the input, with url_base64 when its URL is not valid
// UTF-8.
func (in Input) MarshalJSON() ([]byte, error) {
	type fields Input
	return marshalWithURL(fields(in), in.URL)
}

// UnmarshalJSON reads an input written by MarshalJSON.
func (in *Input) UnmarshalJSON(b []byte) error {
	type fields Input
	return unmarshalWithURL(b, (*fields)(in), &in.URL)
}

// MarshalJSON writes the damaged object, with url_base64 when its URL is
// not valid UTF-8.
func (d DamagedObject) MarshalJSON() ([]byte, error) {
	type fields DamagedObject
	return marshalWithURL(fields(d), d.URL)
}

// UnmarshalJSON reads a damaged object written by MarshalJSON.
func (d *DamagedObject) UnmarshalJSON(b []byte) error {
	type fields DamagedObject
	return unmarshalWithURL(b, (*fields)(d), &d.URL)
}

// marshalWithURL encodes v (a JSON object without its own marshaller) and
// adds url_base64 for url when url is not valid UTF-8.
func marshalWithURL(v any, url string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || utf8.ValidString(url) {
		return b, err
	}
	extra, _ := json.Marshal(urlBase64(url)) // a base64 string always encodes
	b = b[:len(b)-1]                         // the closing brace
	if len(b) > 1 {
		b = append(b, ',')
	}
	b = append(b, `"url_base64":`...)
	b = append(append(b, extra...), '}')
	return b, nil
}

// unmarshalWithURL decodes b into v and, when b has url_base64, sets *url
// to the bytes it holds.
func unmarshalWithURL(b []byte, v any, url *string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	var extra struct {
		URLBase64 string `json:"url_base64"`
	}
	if err := json.Unmarshal(b, &extra); err != nil {
		return err
	}
	u, err := urlFromBase64(*url, extra.URLBase64)
	if err != nil {
		return err
	}
	*url = u
	return nil
}

// urlBase64 returns the base64 of url when it is not valid UTF-8, else "".
func urlBase64(url string) string {
	if utf8.ValidString(url) {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(url))
}

// urlFromBase64 returns the URL a manifest records: the bytes of b64 when
// it is set, else url.
func urlFromBase64(url, b64 string) (string, error) {
	if b64 == "" {
		return url, nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("url_base64 of %q: %w", url, err)
	}
	return string(raw), nil
}
