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
// date, which the merge judges each date on.
const FormatVersion = 4

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
//	"LSSHARD1" | uvarint header length | header JSON | zstd(partial binary)
//
// h.FormatVersion is set to FormatVersion.
func Encode(h Header, p *features.Partial) ([]byte, error) {
	h.FormatVersion = FormatVersion
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode shard header: %w", err)
	}
	pb, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(magic)
	buf.Write(binary.AppendUvarint(nil, uint64(len(hj))))
	buf.Write(hj)
	zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	_, _ = zw.Write(pb)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress shard: %w", err)
	}
	return buf.Bytes(), nil
}

// Read decodes a shard object from r, streaming its compressed part.
func Read(r io.Reader) (*Header, *features.Partial, error) {
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
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(8<<30))
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	pb, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, fmt.Errorf("decompress shard: %w", err)
	}
	p, err := features.UnmarshalPartial(pb)
	if err != nil {
		return nil, nil, err
	}
	return &h, p, nil
}

// readErr keeps a failure of the stream itself (storage) apart from a
// short or corrupt object.
func readErr(err error, corrupt string) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New(corrupt)
	}
	return err
}
