package job

import (
	"context"
	"slices"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/peek"
	"github.com/logsmith/logsmith/job/settings"
)

// Peek reads the start of cfg's input as a run would list and decode it,
// and reports the first events, the fields' hit rates and the shape it
// looks like. It writes nothing and opens no output.
func Peek(ctx context.Context, cfg settings.PeekConfig, opts Options) (*peek.Report, error) {
	opts = opts.withDefaults()
	res, err := cfg.Resolve(opts.Now())
	if err != nil {
		return nil, err
	}
	l, err := listInputs(ctx, &cfg.Config, res, readPolicy(&cfg.ReadSettings, opts), opts.Stdin, opts.Logger)
	if err != nil {
		return nil, err
	}
	if len(l.Objects) == 0 {
		return nil, l.NoInputs()
	}
	rep := &peek.Report{Input: cfg.Input, Objects: len(l.Objects), Skipped: l.Skipped, Shape: cfg.DecodeSettings.Shape, Bad: map[string]int64{}}
	if rep.Shape == "" {
		rep.Shape = "default"
	}
	if len(rep.Skipped) == 0 {
		rep.Skipped = nil
	}
	maxLine := int(cfg.MaxLineBytes)
	var objs []peek.Object
	var dec features.Decompressor
	var total int64
	for _, in := range l.Objects {
		if total >= peek.MaxBytes || len(objs) >= peek.MaxObjects || rep.Records >= int64(cfg.Sample) {
			break
		}
		data, err := input.Head(ctx, &dec, in, peek.MaxBytes-total)
		if err != nil {
			if _, damaged := err.(*features.DamageError); damaged {
				rep.Unreadable = append(rep.Unreadable, err.Error())
				continue
			}
			return nil, err
		}
		total += int64(len(data))
		o := peek.Object{URL: in.URL(), Data: data}
		objs = append(objs, o)
		rep.Read = append(rep.Read, o.URL)
		// Count the records so far, to stop listing once the sample is full.
		n, _, err := peek.SampleShape(ctx, res.Spec, []peek.Object{o}, maxLine, cfg.Sample, nil)
		if err != nil {
			return nil, err
		}
		rep.Records += n.Records
	}
	rep.Bytes = total
	keys := map[string]bool{}
	guess, hits, err := peek.SampleShape(ctx, res.Spec, objs, maxLine, cfg.Sample, func(url string, raw []byte, e *features.Event, reason features.Reason) {
		if raw != nil && reason != features.ReasonNotJSON {
			peek.AddKeys(raw, keys)
		}
		if reason != features.ReasonNone {
			rep.Bad[reason.String()]++
		}
		if len(rep.First) < cfg.Lines {
			rep.First = append(rep.First, peek.NewEvent(url, raw, e, reason, res.Spec))
		}
	})
	if err != nil {
		return nil, err
	}
	if len(rep.Bad) == 0 {
		rep.Bad = nil
	}
	rep.Records, rep.Events = guess.Records, guess.Events
	rep.Fields = hits
	known := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	for i := range rep.Fields {
		f := &rep.Fields[i]
		if f.Hits == 0 && f.Of > 0 && !strings.HasPrefix(f.Path, "@parent.") {
			f.DidYouMean = peek.NearestKeys(f.Path, known)
		}
	}
	rep.Shapes, err = peek.GuessShapes(ctx, cfg, objs, maxLine)
	if err != nil {
		return nil, err
	}
	if len(rep.Shapes) > 0 && rep.Shapes[0].Events > 0 {
		rep.LooksLike = rep.Shapes[0].Shape
	}
	return rep, nil
}
