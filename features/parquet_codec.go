package features

import (
	"reflect"
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// probePages is how often a column's zstd pages are compressed at both
// levels to choose the level of the pages that follow: its first page,
// then one page in probePages.
const probePages = 16

// pageWindow is the window of the zstd encoders that compress pages. A
// page is about parquet-go's page buffer (256 KiB), so a larger window
// finds nothing more in it; but an encoder's history is sized by its
// window, twice over at zstd's default 8 MiB: 16 MiB per pooled encoder,
// 48 MiB of a 100,000-group merge's heap at its peak. At 1 MiB it takes
// 1.1 MiB.
const pageWindow = 1 << 20

// pageZstd is parquet-go's zstd codec at one level (which it decodes
// with), its pages compressed by encoders of pageWindow.
type pageZstd struct {
	*zstd.Codec
	encoders sync.Pool // *kzstd.Encoder
}

func newPageZstd(level zstd.Level) *pageZstd {
	return &pageZstd{Codec: &zstd.Codec{Level: level}}
}

// Encode compresses one page into dst's space.
func (c *pageZstd) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*kzstd.Encoder)
	if e == nil {
		var err error
		// The options of parquet-go's codec, and the window.
		e, err = kzstd.NewWriter(nil, kzstd.WithEncoderConcurrency(1), kzstd.WithEncoderLevel(c.Level),
			kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false), kzstd.WithWindowSize(pageWindow))
		if err != nil {
			return dst[:0], err
		}
	}
	defer c.encoders.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}

// zstdLevels are a file's two shared zstd codecs (each pools its encoders,
// for every column of the file).
type zstdLevels struct {
	fast, dflt *pageZstd
	scratch    sync.Pool // *[]byte: a probe's second output
}

func newZstdLevels() *zstdLevels {
	return &zstdLevels{fast: newPageZstd(zstd.SpeedFastest), dflt: newPageZstd(zstd.SpeedDefault)}
}

// columnZstd compresses one column's pages with zstd at Zstandard's level 3
// or level 1, whichever its last probe found smaller (level 1 on a tie).
// Columns whose values repeat (counts, timestamps, keys) compress better at
// level 3; measured floats have few repeats, and there level 3's search
// costs half again level 1's CPU for output that is no smaller (see
// docs/benchmarks.md). Which level a page gets depends only on the
// column's pages before it, so the bytes depend only on the values.
type columnZstd struct {
	levels *zstdLevels
	mu     sync.Mutex
	pages  int
	fast   bool
}

func (c *columnZstd) String() string { return "ZSTD" }

// CompressionCodec names the pages' compression in the file: zstd.
func (c *columnZstd) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses one page, probing both levels on a probe page.
func (c *columnZstd) Encode(dst, src []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	probe := c.pages%probePages == 0
	c.pages++
	if !probe {
		if c.fast {
			return c.levels.fast.Encode(dst, src)
		}
		return c.levels.dflt.Encode(dst, src)
	}
	out, err := c.levels.dflt.Encode(dst, src)
	if err != nil {
		return out, err
	}
	bp, _ := c.levels.scratch.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer c.levels.scratch.Put(bp)
	fast, err := c.levels.fast.Encode(*bp, src)
	*bp = fast[:0]
	if err != nil {
		return out, err
	}
	if c.fast = len(fast) <= len(out); c.fast {
		out = append(out[:0], fast...)
	}
	return out, nil
}

// Decode decompresses a page of either level.
func (c *columnZstd) Decode(dst, src []byte) ([]byte, error) {
	return c.levels.dflt.Decode(dst, src)
}

// perColumn returns schema with each leaf column compressed by a codec of
// its own from codec (its fields, their order and types unchanged).
func perColumn(schema *parquet.Schema, codec func() compress.Codec) *parquet.Schema {
	fields := schema.Fields()
	wrapped := make([]parquet.Field, len(fields))
	for i, f := range fields {
		wrapped[i] = codecField{Field: f, codec: codec()}
	}
	return parquet.NewSchema(schema.Name(), columnsNode{Node: schema, fields: wrapped})
}

// columnsNode is a group whose fields are given in order.
type columnsNode struct {
	parquet.Node
	fields []parquet.Field
}

func (n columnsNode) Fields() []parquet.Field { return n.fields }

// codecField is a leaf field compressed by a codec of its own.
type codecField struct {
	parquet.Field
	codec compress.Codec
}

func (f codecField) Compression() compress.Codec { return f.codec }

// parquetSchema returns the schema of Parquet files of cols, and the codec
// of their pages. Under zstd each column has a columnZstd of its own, all
// sharing one pair of codecs (the writer's default, level 3, then names no
// column's).
func parquetSchema(cols []Column, comp ParquetCompression) (*parquet.Schema, compress.Codec) {
	schema := parquet.SchemaOf(reflect.New(parquetType(cols)).Interface())
	if comp != ParquetZstd && comp != "" {
		return schema, comp.codec()
	}
	levels := newZstdLevels()
	return perColumn(schema, func() compress.Codec { return &columnZstd{levels: levels} }), levels.dflt
}
