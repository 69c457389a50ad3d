package input

import (
	"context"
	"io"
	"sync"

	"github.com/logsmith/logsmith/storage/objio"
)

// Streams opens the units' streams when they are read ahead or taken,
// so that what a run holds does not grow with its number of objects.
type Streams struct {
	ctx   context.Context
	units []Unit
	ahead int64
	mu    sync.Mutex
	open  map[int]Stream // opened and not yet taken
	done  bool           // CloseAll was called
}

// NewStreams returns the streams of units, opened under ctx as they are
// read ahead or taken, each read up to ahead bytes ahead when its bucket
// says that pays.
func NewStreams(ctx context.Context, units []Unit, ahead int64) *Streams {
	return &Streams{ctx: ctx, units: units, ahead: ahead, open: map[int]Stream{}}
}

// ReadAhead opens unit i for reading ahead, for objio.Prefetcher: it
// returns its read-ahead, or nil (opening nothing) when unit i is not read
// ahead.
func (s *Streams) ReadAhead(i int) *objio.ReadAhead {
	if s.ahead <= 0 || !s.units[i].In.Bucket.ReadAheadPays() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	us, ok := s.open[i]
	if !ok {
		us = openUnit(s.ctx, s.units[i], s.ahead)
		s.open[i] = us
	}
	return us.ahead
}

// Take returns unit i's stream, opening it unless it was read ahead; the
// caller closes it.
func (s *Streams) Take(i int) Stream {
	s.mu.Lock()
	us, ok := s.open[i]
	delete(s.open, i)
	s.mu.Unlock()
	if !ok {
		us = openUnit(s.ctx, s.units[i], s.ahead)
	}
	return us
}

// CloseAll closes the streams opened and not taken.
func (s *Streams) CloseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for i, us := range s.open {
		us.Close()
		delete(s.open, i)
	}
}

// Stream is the byte stream of one unit: the object (or range) as
// read from storage, and its read-ahead when enabled.
type Stream struct {
	src    io.Reader
	ahead  *objio.ReadAhead
	rc     *objio.Stream
	cancel context.CancelFunc
}

// openUnit prepares u's stream, read up to ahead bytes ahead when its
// bucket says that pays; nothing is read before the first Read (or the
// read-ahead's start).
func openUnit(ctx context.Context, u Unit, ahead int64) Stream {
	ctx, cancel := context.WithCancel(ctx)
	var rc *objio.Stream
	var src io.Reader
	length := u.Size()
	if u.Whole() {
		rc = u.In.Bucket.Stream(ctx, u.In.Info, 0)
		src = rc
	} else {
		// From the byte before the range, to tell whether it starts a line,
		// to where it stops (see SplitRule.stop).
		rc = u.In.Bucket.StreamRange(ctx, u.In.Info, max(u.Off-1, 0), u.Stop)
		src = newRangeReader(rc, u.Off, u.End)
		length = -1 // the last line runs past the range's end
	}
	s := Stream{src: src, rc: rc, cancel: cancel}
	if ahead > 0 && u.In.Bucket.ReadAheadPays() {
		s.ahead = objio.NewReadAhead(ctx, cancel, s.src, length, ahead)
	}
	return s
}

// Close stops the stream's reads; it may be called more than once.
func (s Stream) Close() {
	if s.ahead != nil {
		s.ahead.Close()
	}
	s.cancel()
	s.rc.Close()
}

// Reader returns the unit's bytes: through its read-ahead when it has one.
func (s Stream) Reader() io.Reader {
	if s.ahead != nil {
		return s.ahead
	}
	return s.src
}
