package input

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/bits"
	"path"
	"strings"
	"sync"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
)

// UncompressedEstimate says how EstimatedUncompressedBytes was reached.
type UncompressedEstimate struct {
	// Rule is "sampled-ratio": see EstimateUncompressed.
	Rule string `json:"rule"`
	// Exact is true when no object's size was extrapolated from a ratio:
	// every class was all plain in its samples, or read whole.
	Exact   bool          `json:"exact"`
	Classes []SampleClass `json:"classes"`
}

// SampleClass is the objects of one name class (.gz, .zst or other) and
// what their samples decoded to.
type SampleClass struct {
	Class          string         `json:"class"`
	Objects        int            `json:"objects"`
	Bytes          int64          `json:"bytes"`
	Sampled        int            `json:"sampled_objects"`
	SampledBytes   int64          `json:"sampled_bytes"` // compressed bytes decoded
	DecodedBytes   int64          `json:"decoded_bytes"`
	Ratio          float64        `json:"ratio"` // decoded ÷ sampled, applied to the class's other objects
	Codecs         map[string]int `json:"codecs"`
	Unreadable     int            `json:"unreadable_samples,omitempty"` // damaged or not text: not in the ratio
	EstimatedBytes int64          `json:"estimated_uncompressed_bytes"`
}

// The sampling rule's sizes.
const (
	samplesPerClass = 16
	sampleBytes     = 1 << 20   // compressed bytes decoded per sample
	sampleMaxOut    = 256 << 20 // decoded bytes per sample at most (a gzip bomb)
)

// Estimate is the result of EstimateUncompressed: every object's
// uncompressed size by URL, and how it was reached.
type Estimate struct {
	Bytes   map[string]int64
	Summary UncompressedEstimate
	Heads   [][]byte // each sample's first decoded lines, when asked for
}

// Of returns the uncompressed bytes of u: a range's size (PlanUnits splits
// plain objects only), or its whole object's estimate.
func (e *Estimate) Of(u Unit) int64 {
	if u.Whole() {
		return e.Bytes[u.In.URL()]
	}
	return u.Size()
}

// EstimateUncompressed estimates the uncompressed size of the input
// objects by the rule "sampled-ratio", its samples read on workers
// workers. Objects fall into three classes by name:
// ending in .gz/.gzip, in .zst/.zstd, or any other. In each class at most
// samplesPerClass objects, evenly spaced in the listing's (URL) order, are
// read from their start: up to sampleBytes (1 MiB) of stored bytes is
// decoded as a run decodes it (the codec told by the content, not the
// name). The class's ratio is its samples' decoded bytes over their stored
// bytes; each object's estimate is its size times that ratio, except a
// sample read to its end, which counts its exact decoded size. Plain
// samples decode to themselves (ratio 1), so an all-plain class is its
// stored size.
//
// Why not gzip's ISIZE trailer: it holds the last member's size modulo
// 2^32 — wrong for concatenated (multi-member) files and for members over 4
// GiB — and the zero padding a run accepts after the last member hides it;
// zstd has no trailer (a frame's content size is optional and per frame).
// Sampling reads at most 3 × 16 MiB however many objects there are, and
// gives zstd and gzip the same treatment. JSON logs compress evenly, so the
// first MiB (several deflate blocks or zstd blocks) is representative; an
// input whose objects differ widely in ratio within a class gets a rougher
// estimate. A sample that is damaged or not text is left out of the ratio
// (the run would report it).
//
// With keep > 0 it also keeps each sample's first keep decoded bytes
// (whole lines) in the estimate's heads, for the memory model.
func EstimateUncompressed(ctx context.Context, workers int, inputs []Object, keep int) (*Estimate, error) {
	classes := []string{".gz", ".zst", "other"}
	byClass := make([][]Object, len(classes))
	for _, in := range inputs {
		c := 2
		switch strings.ToLower(path.Ext(in.Info.Key)) {
		case ".gz", ".gzip":
			c = 0
		case ".zst", ".zstd":
			c = 1
		}
		byClass[c] = append(byClass[c], in)
	}
	type job struct {
		class int
		in    Object
	}
	var jobs []job
	for c, ins := range byClass {
		k := min(len(ins), samplesPerClass)
		for i := range k {
			jobs = append(jobs, job{c, ins[i*len(ins)/k]})
		}
	}
	results, err := runSamples(ctx, workers, len(jobs), func(ctx context.Context, i int, dec *features.Decompressor) (sample, error) {
		return readSampleHead(ctx, dec, jobs[i].in, keep)
	})
	if err != nil {
		return nil, err
	}
	est := &Estimate{Bytes: map[string]int64{}, Summary: UncompressedEstimate{Rule: "sampled-ratio", Exact: true}}
	for _, r := range results {
		if len(r.head) > 0 {
			est.Heads = append(est.Heads, r.head)
		}
	}
	for c, ins := range byClass {
		if len(ins) == 0 {
			continue
		}
		sc := SampleClass{Class: classes[c], Objects: len(ins), Codecs: map[string]int{}}
		exact := map[string]int64{}
		allPlain := true
		for i, r := range results {
			if jobs[i].class != c {
				continue
			}
			sc.Sampled++
			if r.err != "" {
				sc.Unreadable++
				continue
			}
			sc.Codecs[r.codec.String()]++
			allPlain = allPlain && r.codec == features.CodecNone
			sc.SampledBytes += r.read
			sc.DecodedBytes += r.decoded
			if r.whole {
				exact[jobs[i].in.URL()] = r.decoded
			}
		}
		num, den := sc.DecodedBytes, sc.SampledBytes
		if den == 0 || allPlain {
			num, den = 1, 1 // nothing readable, or plain: stored size
		}
		sc.Ratio = float64(num) / float64(den)
		for _, in := range ins {
			n, ok := exact[in.URL()]
			if !ok {
				n = mulDiv(in.Info.Size, num, den)
				if num != den {
					est.Summary.Exact = false
				}
			}
			est.Bytes[in.URL()] = n
			sc.Bytes += in.Info.Size
			sc.EstimatedBytes += n
		}
		if sc.Unreadable > 0 && len(exact) < len(ins) {
			est.Summary.Exact = false
		}
		est.Summary.Classes = append(est.Summary.Classes, sc)
	}
	return est, nil
}

// mulDiv returns a×b÷c rounded down, in 128 bits; a, b, c ≥ 0, c > 0.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 1<<63 - 1
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(min(q, 1<<63-1))
}

// sample is what reading the start of one object gave.
type sample struct {
	codec   features.Codec
	read    int64 // stored bytes handed to the decoder
	decoded int64
	whole   bool   // read to its end: decoded is the object's size
	err     string // damaged or not text
	head    []byte // the first decoded bytes asked for, whole lines
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	b   []byte
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// readSampleHead decodes up to sampleBytes of in's stored bytes, keeping
// the first keep decoded bytes, cut after their last newline (whole
// lines), in head. It reads the listed version only, and resumes after a
// dropped connection at the byte it reached, as every read of an input
// does (objio.Stream).
func readSampleHead(ctx context.Context, dec *features.Decompressor, in Object, keep int) (s sample, err error) {
	hw := &headWriter{max: keep}
	defer func() {
		if i := bytes.LastIndexByte(hw.b, '\n'); i >= 0 {
			s.head = hw.b[:i+1]
		}
	}()
	rc := in.Bucket.StreamRange(ctx, in.Info, 0, sampleBytes)
	defer rc.Close()
	raw := &features.CountingReader{R: rc}
	dr, codec, err := dec.Open(raw)
	s.codec = codec
	if raw.Err != nil {
		return s, failure.Storage(fmt.Errorf("sample %s: %w", in.URL(), raw.Err))
	}
	if err != nil {
		s.err = err.Error()
		return s, nil
	}
	if codec == features.CodecNone {
		if keep > 0 {
			_, err = io.Copy(hw, io.LimitReader(dr, int64(keep)))
			if raw.Err != nil {
				return s, failure.Storage(fmt.Errorf("sample %s: %w", in.URL(), raw.Err))
			}
			if err != nil {
				hw.b = nil // not the run's view: a read it would fail on
			}
		}
		s.read, s.decoded = in.Info.Size, in.Info.Size
		s.whole = true
		return s, nil
	}
	out := &features.CountingReader{R: io.TeeReader(io.LimitReader(dr, sampleMaxOut), hw)}
	_, err = io.Copy(io.Discard, out)
	if raw.Err != nil {
		return s, failure.Storage(fmt.Errorf("sample %s: %w", in.URL(), raw.Err))
	}
	s.read, s.decoded = raw.N, out.N
	s.whole = err == nil && raw.N == in.Info.Size && out.N < sampleMaxOut
	if err != nil && raw.N < min(in.Info.Size, sampleBytes) {
		s.err = err.Error() // damaged before the sample's end
	}
	return s, nil
}

// runSamples runs n sample reads on workers workers, each task with
// its own decompressor; the first error cancels the rest and is returned.
func runSamples(ctx context.Context, workers int, n int, read func(ctx context.Context, i int, dec *features.Decompressor) (sample, error)) ([]sample, error) {
	out := make([]sample, n)
	if n == 0 {
		return out, nil
	}
	pool := pond.NewPool(min(workers, n), pond.WithContext(ctx))
	defer pool.StopAndWait()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var once sync.Once
	group := pool.NewGroupContext(gctx)
	for i := range n {
		group.SubmitErr(func() error {
			var dec features.Decompressor
			defer dec.Close()
			s, err := read(gctx, i, &dec)
			if err != nil {
				// Keep the cause, not the cancellations it triggers.
				once.Do(func() { firstErr = err })
				cancel()
				return err
			}
			out[i] = s
			return nil
		})
	}
	if err := group.Wait(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		once.Do(func() { firstErr = err })
		return nil, firstErr
	}
	return out, nil
}
