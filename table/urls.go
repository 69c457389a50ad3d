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
	return json.Marshal(struct {
		fields
		URLBase64 string `json:"url_base64,omitempty"`
	}{fields(in), urlBase64(in.URL)})
}

// UnmarshalJSON reads an input written by MarshalJSON.
func (in *Input) UnmarshalJSON(b []byte) error {
	type fields Input
	var v struct {
		fields
		URLBase64 string `json:"url_base64"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	url, err := urlFromBase64(v.URL, v.URLBase64)
	if err != nil {
		return err
	}
	*in = Input(v.fields)
	in.URL = url
	return nil
}

// MarshalJSON writes the damaged object, with url_base64 when its URL is
// not valid UTF-8.
func (d DamagedObject) MarshalJSON() ([]byte, error) {
	type fields DamagedObject
	return json.Marshal(struct {
		fields
		URLBase64 string `json:"url_base64,omitempty"`
	}{fields(d), urlBase64(d.URL)})
}

// UnmarshalJSON reads a damaged object written by MarshalJSON.
func (d *DamagedObject) UnmarshalJSON(b []byte) error {
	type fields DamagedObject
	var v struct {
		fields
		URLBase64 string `json:"url_base64"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	url, err := urlFromBase64(v.URL, v.URLBase64)
	if err != nil {
		return err
	}
	*d = DamagedObject(v.fields)
	d.URL = url
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
