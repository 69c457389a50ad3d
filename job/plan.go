package job

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/bits"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
)

// Plan is what logsmith plan prints: the date's input and the shard count
// that reads it within the budget.
type Plan struct {
	RunID   string `json:"run_id"`
	Date    string `json:"date"`
	Input   string `json:"input"`
	Objects int    `json:"objects"`
	Bytes   int64  `json:"bytes"` // as stored (compressed)
	// Skipped counts the objects listed and not read, by reason (see
	// SkipHidden): a run skips the same.
	Skipped map[string]int64 `json:"skipped_objects,omitempty"`
	// EstimatedUncompressedBytes is the input's decompressed size: exact
	// for plain objects and for compressed objects read whole, else
	// estimated; see UncompressedEstimate.
	EstimatedUncompressedBytes int64                `json:"estimated_uncompressed_bytes"`
	UncompressedEstimate       UncompressedEstimate `json:"uncompressed_estimate"`
	Units                      int                  `json:"units"` // objects and byte ranges, as a run deals them to shards
	BudgetSeconds              int64                `json:"budget_seconds"`
	ThroughputBytesPerSecond   int64                `json:"throughput_bytes_per_second"`
	MaxShards                  int                  `json:"max_shards"`
	// ShardsForBudget is ceil(uncompressed ÷ (throughput × budget)), before
	// the caps and the balance check.
	ShardsForBudget int `json:"shards_for_budget"`
	// Shards is the shard count to run: ShardsForBudget, raised until the
	// slowest shard fits the budget, capped by Units and MaxShards, and at
	// least 1.
	Shards int `json:"shards"`
	// CappedBy says why Shards does not fit the budget: "units" (one
	// shard per unit already), "max_shards", or "largest_unit" (the
	// slowest shard holds one unit alone, which takes longer than the
	// budget: more shards would not help). Empty when it fits.
	CappedBy  string `json:"capped_by,omitempty"`
	ShardList []int  `json:"shard_list"` // 0 to Shards-1, for Argo's withParam
	// SlowestShardBytes is the estimated uncompressed bytes of the shard
	// with the most, as a run with Shards shards deals the units.
	SlowestShardBytes int64 `json:"slowest_shard_uncompressed_bytes"`
	EstimatedSeconds  int64 `json:"estimated_seconds"` // the slowest shard at the throughput, rounded up
	FitsBudget        bool  `json:"fits_budget"`
	// Memory is one map pod's (and the merge's) memory estimate: from the
	// whole input's size and sampled events (Basis "sampled"), or at the
	// caps when the samples hold no line.
	Memory memory.Estimate `json:"memory"`
}

// UncompressedEstimate says how EstimatedUncompressedBytes was reached.
type UncompressedEstimate struct {
	// Rule is "sampled-ratio": see sampleClass.
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

// PlanRun lists the date's input as a run would, estimates its
// uncompressed size and chooses the shard count; it reads no more than the
// samples. The result depends only on the listing and the objects' bytes
// (and the run id, fresh unless --run is given). No input objects is a
// KindNotReady error, as for a run.
func PlanRun(ctx context.Context, cfg settings.PlanConfig, opts Options) (*Plan, error) {
	opts = opts.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := opts.Now()
	res, err := cfg.Config.Resolve(now)
	if err != nil {
		return nil, err
	}
	p := &Plan{RunID: cfg.RunID, Date: res.Date, Input: cfg.Input,
		BudgetSeconds: int64(cfg.Budget / time.Second), ThroughputBytesPerSecond: cfg.Throughput, MaxShards: cfg.MaxShards}
	if p.RunID == "" {
		p.RunID = newRunID(now)
	}
	listed, err := resolveInputs(ctx, &cfg.Config, res, readPolicy(&cfg.ReadSettings, opts), nil, opts.Logger)
	if err != nil {
		return nil, err
	}
	inputs := listed.inputs
	if len(inputs) == 0 {
		return nil, listed.noInputs()
	}
	if len(listed.skipped) > 0 {
		p.Skipped = listed.skipped
	}
	units, err := planUnits(ctx, inputs, splitRuleOf(&cfg.Config, res))
	if err != nil {
		return nil, err
	}
	est, err := estimateUncompressed(ctx, res.Workers, inputs, memory.SampleBytes)
	if err != nil {
		return nil, err
	}
	p.Objects, p.Units, p.UncompressedEstimate = len(inputs), len(units), est.summary
	for _, in := range inputs {
		p.Bytes += in.info.Size
	}
	// A range is of a plain object (planUnits splits no other): its
	// uncompressed size is its size.
	sizes := make([]int64, len(units))
	for k, u := range units {
		sizes[k] = u.size()
		if u.whole() {
			sizes[k] = est.bytes[u.in.url()]
		}
		p.EstimatedUncompressedBytes += sizes[k]
	}
	chooseShards(p, units, sizes)
	p.ShardList = make([]int, p.Shards)
	for i := range p.ShardList {
		p.ShardList[i] = i
	}
	if p.Memory, err = memoryFromData(ctx, &cfg.Config, res, est.heads, p.EstimatedUncompressedBytes, len(units)); err != nil {
		return nil, err
	}
	opts.Logger.Info("planned", "run_id", p.RunID, "date", p.Date, "objects", p.Objects, "bytes", p.Bytes,
		"uncompressed", p.EstimatedUncompressedBytes, "units", p.Units, "shards", p.Shards, "fits_budget", p.FitsBudget)
	return p, nil
}

// chooseShards sets p's shard count from the units and their uncompressed
// sizes: the budget's count, raised while the slowest shard (as
// dealShards deals the units) would take longer than the budget, within
// the caps.
func chooseShards(p *Plan, units []unit, sizes []int64) {
	perPod := memcheck.SatMul(p.ThroughputBytesPerSecond, p.BudgetSeconds)
	need := max(ceilDiv(p.EstimatedUncompressedBytes, perPod), 1)
	p.ShardsForBudget = int(min(need, 1<<30))
	limit := min(len(units), p.MaxShards)
	n := min(p.ShardsForBudget, limit)
	var largest int64
	for _, s := range sizes {
		largest = max(largest, s)
	}
	slowest := slowestShard(units, sizes, n)
	for slowest > perPod && n < limit && slowest > largest {
		n++
		slowest = slowestShard(units, sizes, n)
	}
	p.Shards, p.SlowestShardBytes = n, slowest
	p.EstimatedSeconds = ceilDiv(slowest, p.ThroughputBytesPerSecond)
	p.FitsBudget = slowest <= perPod
	switch {
	case p.FitsBudget:
	case n == len(units):
		p.CappedBy = "units"
	case n == p.MaxShards:
		p.CappedBy = "max_shards"
	default:
		p.CappedBy = "largest_unit"
	}
}

// slowestShard returns the most uncompressed bytes any of n shards gets.
func slowestShard(units []unit, sizes []int64, n int) int64 {
	load := make([]int64, n)
	for k, s := range dealShards(units, n) {
		load[s] += sizes[k]
	}
	var most int64
	for _, l := range load {
		most = max(most, l)
	}
	return most
}

func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// estimate is the result of estimateUncompressed: every object's
// uncompressed size by URL, and how it was reached.
type estimate struct {
	bytes   map[string]int64
	summary UncompressedEstimate
	heads   [][]byte // each sample's first decoded lines, when asked for
}

// sampleClass is the rule that estimates the uncompressed size of input
// objects ("sampled-ratio"). Objects fall into three classes by name:
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
func estimateUncompressed(ctx context.Context, workers int, inputs []input, keep int) (*estimate, error) {
	classes := []string{".gz", ".zst", "other"}
	byClass := make([][]input, len(classes))
	for _, in := range inputs {
		c := 2
		switch strings.ToLower(path.Ext(in.info.Key)) {
		case ".gz", ".gzip":
			c = 0
		case ".zst", ".zstd":
			c = 1
		}
		byClass[c] = append(byClass[c], in)
	}
	type job struct {
		class int
		in    input
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
	est := &estimate{bytes: map[string]int64{}, summary: UncompressedEstimate{Rule: "sampled-ratio", Exact: true}}
	for _, r := range results {
		if len(r.head) > 0 {
			est.heads = append(est.heads, r.head)
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
				exact[jobs[i].in.url()] = r.decoded
			}
		}
		num, den := sc.DecodedBytes, sc.SampledBytes
		if den == 0 || allPlain {
			num, den = 1, 1 // nothing readable, or plain: stored size
		}
		sc.Ratio = float64(num) / float64(den)
		for _, in := range ins {
			n, ok := exact[in.url()]
			if !ok {
				n = mulDiv(in.info.Size, num, den)
				if num != den {
					est.summary.Exact = false
				}
			}
			est.bytes[in.url()] = n
			sc.Bytes += in.info.Size
			sc.EstimatedBytes += n
		}
		if sc.Unreadable > 0 && len(exact) < len(ins) {
			est.summary.Exact = false
		}
		est.summary.Classes = append(est.summary.Classes, sc)
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
func readSampleHead(ctx context.Context, dec *features.Decompressor, in input, keep int) (s sample, err error) {
	hw := &headWriter{max: keep}
	defer func() {
		if i := bytes.LastIndexByte(hw.b, '\n'); i >= 0 {
			s.head = hw.b[:i+1]
		}
	}()
	rc := in.bucket.StreamRange(ctx, in.info, 0, sampleBytes)
	defer rc.Close()
	raw := &features.CountingReader{R: rc}
	dr, codec, err := dec.Open(raw)
	s.codec = codec
	if raw.Err != nil {
		return s, failure.Storage(fmt.Errorf("sample %s: %w", in.url(), raw.Err))
	}
	if err != nil {
		s.err = err.Error()
		return s, nil
	}
	if codec == features.CodecNone {
		if keep > 0 {
			_, err = io.Copy(hw, io.LimitReader(dr, int64(keep)))
			if raw.Err != nil {
				return s, failure.Storage(fmt.Errorf("sample %s: %w", in.url(), raw.Err))
			}
			if err != nil {
				hw.b = nil // not the run's view: a read it would fail on
			}
		}
		s.read, s.decoded = in.info.Size, in.info.Size
		s.whole = true
		return s, nil
	}
	out := &features.CountingReader{R: io.TeeReader(io.LimitReader(dr, sampleMaxOut), hw)}
	_, err = io.Copy(io.Discard, out)
	if raw.Err != nil {
		return s, failure.Storage(fmt.Errorf("sample %s: %w", in.url(), raw.Err))
	}
	s.read, s.decoded = raw.N, out.N
	s.whole = err == nil && raw.N == in.info.Size && out.N < sampleMaxOut
	if err != nil && raw.N < min(in.info.Size, sampleBytes) {
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
