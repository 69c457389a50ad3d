package shard

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// FormatVersion is the version of shard partial objects. Version 2 added
// the heads the shard started from; 3 names them by commit
// (table.Head.CommitID) instead of ETag; 4 added the input's quality by
// date, which the merge judges each date on; 5 splits the partial into
// sections, each compressed on its own, so that a merge decodes one at a
// time.
const FormatVersion = 5

var magic = []byte("LSSHARD1")

// maxHeader bounds a shard header: it lists every unit of the run.
const maxHeader = 1 << 30

// Header describes a shard partial: which run, date and shard it is, the
// whole listing every shard of the run saw, and the units it covered.
type Header struct {
	FormatVersion int                   `json:"format_version"`
	RunID         string                `json:"run_id"`
	Date          string                `json:"date"`
	Shard         int                   `json:"shard"`
	Shards        int                   `json:"shards"`
	ConfigHash    string                `json:"config_hash"`
	Version       string                `json:"logsmith_version"`
	Inputs        []table.Input         `json:"inputs"`  // every input object of the run, listed by this shard
	Units         []string              `json:"units"`   // every unit of the run, sorted
	Covered       []string              `json:"covered"` // the units this shard read
	BytesRead     int64                 `json:"bytes_read"`
	BytesDecoded  int64                 `json:"bytes_decoded"`
	Damaged       []table.DamagedObject `json:"damaged_objects,omitempty"`
	Rejects       []features.Reject     `json:"rejects,omitempty"`
	// Skipped counts the objects the listing skipped, by reason; every
	// shard lists the same.
	Skipped map[string]int64 `json:"skipped_objects,omitempty"`
	// Unlisted counts the events of the dates before and after the run's
	// that this shard read in objects that date's run does not list.
	Unlisted [2]int64 `json:"unlisted_near"`
	// Quality is the input this shard read, attributed to dates (by
	// YYYY-MM-DD; "" for what no date can be told of): see table.Quality.
	Quality map[string]table.Quality `json:"quality,omitempty"`
	// Heads are the commits of the date in each table (by table folder)
	// when the shard started: the merge commits against them.
	Heads map[string]map[string]string `json:"heads"`
}

// Name is the object name of shard i of n.
func Name(i, n int) string { return fmt.Sprintf("shard-%d-of-%d", i, n) }

// ParseName reads a name written by Name.
func ParseName(name string) (i, n int, ok bool) {
	if _, err := fmt.Sscanf(name, "shard-%d-of-%d", &i, &n); err != nil || Name(i, n) != name {
		return 0, 0, false
	}
	return i, n, true
}

// Encode writes a shard object:
//
//	"LSSHARD1" | uvarint header length | header JSON |
//	uvarint sections | per section: uvarint length | zstd(partial binary)
//
// whose sections are the partials sections gives (it calls add with each,
// in order; a time range of the aggregate each, and its counts, as
// job/spill.Store.Sections gives them). Merging them is the shard's
// partial. h.FormatVersion is set to FormatVersion.
func Encode(h Header, sections func(add func(*features.Partial) error) error) ([]byte, error) {
	h.FormatVersion = FormatVersion
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode shard header: %w", err)
	}
	zw, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	defer zw.Close()
	var parts [][]byte
	err = sections(func(p *features.Partial) error {
		pb, err := p.MarshalBinary()
		if err != nil {
			return err
		}
		parts = append(parts, zw.EncodeAll(pb, nil))
		return nil
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(magic)
	buf.Write(binary.AppendUvarint(nil, uint64(len(hj))))
	buf.Write(hj)
	buf.Write(binary.AppendUvarint(nil, uint64(len(parts))))
	for _, b := range parts {
		buf.Write(binary.AppendUvarint(nil, uint64(len(b))))
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// Sections are a shard's partial as read: its sections, still
// compressed, to decode one at a time.
type Sections [][]byte

// Each decodes the sections in order and calls fn with each; fn's error,
// or a section's that does not decode, stops it and is returned.
func (s Sections) Each(fn func(*features.Partial) error) error {
	zr, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(8<<30))
	if err != nil {
		return err
	}
	defer zr.Close()
	for i, b := range s {
		pb, err := zr.DecodeAll(b, nil)
		if err != nil {
			return fmt.Errorf("decompress shard section %d: %w", i, err)
		}
		p, err := features.UnmarshalPartial(pb)
		if err != nil {
			return fmt.Errorf("shard section %d: %w", i, err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// Read reads a shard object from r: its header and its sections, still
// compressed.
func Read(r io.Reader) (*Header, Sections, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	got := make([]byte, len(magic))
	if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, magic) {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, err
		}
		return nil, nil, errors.New("not a logsmith shard (bad magic)")
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > maxHeader {
		return nil, nil, readErr(err, "corrupt shard header")
	}
	hj := make([]byte, n)
	if _, err := io.ReadFull(br, hj); err != nil {
		return nil, nil, readErr(err, "corrupt shard header")
	}
	var h Header
	if err := json.Unmarshal(hj, &h); err != nil {
		return nil, nil, fmt.Errorf("decode shard header: %w", err)
	}
	if h.FormatVersion != FormatVersion {
		return nil, nil, fmt.Errorf("shard format %d, want %d", h.FormatVersion, FormatVersion)
	}
	count, err := binary.ReadUvarint(br)
	if err != nil || count > maxSections {
		return nil, nil, readErr(err, "corrupt shard sections")
	}
	secs := make(Sections, 0, count)
	for range count {
		n, err := binary.ReadUvarint(br)
		if err != nil || n > maxSection {
			return nil, nil, readErr(err, "corrupt shard section")
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, nil, readErr(err, "corrupt shard section")
		}
		secs = append(secs, b)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, nil, readErr(err, "trailing bytes after the shard's sections")
	}
	return &h, secs, nil
}

// maxSections and maxSection bound a shard's sections: one per time range
// of at most --max-panes panes, each at most 4 GiB compressed.
const (
	maxSections = 1 << 22
	maxSection  = 4 << 30
)

// readErr keeps a failure of the stream itself (storage) apart from a
// short or corrupt object.
func readErr(err error, corrupt string) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New(corrupt)
	}
	return err
}
