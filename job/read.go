package job

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// input is one object to read, with the bucket and location it is in.
type input struct {
	bucket *objio.Bucket
	loc    settings.Location
	info   storage.ObjectInfo
	// listedNear says whether the runs of the dates before and after a
	// dated run's list this object too (a template's folder both read, or
	// an input without a template): then their events in it are theirs.
	listedNear [2]bool
	// folderDate is the UTC date a templated input's folder of this
	// object covers, when it covers one: whose input the object is when
	// none of its lines says (see unitQuality).
	folderDate string
}

// url names the object as the manifest records it: a URL that
// ParseLocation reads back to exactly this bucket and key.
func (in input) url() string {
	loc := in.loc
	loc.Prefix = in.info.Key
	return loc.String()
}

// unitStreams opens the units' streams when they are read ahead or taken,
// so that what a run holds does not grow with its number of objects.
type unitStreams struct {
	ctx   context.Context
	units []unit
	ahead int64
	mu    sync.Mutex
	open  map[int]unitStream // opened and not yet taken
	done  bool               // closeAll was called
}

// readAhead opens unit i for reading ahead, for objio.Prefetcher: it
// returns its read-ahead, or nil (opening nothing) when unit i is not read
// ahead.
func (s *unitStreams) readAhead(i int) *objio.ReadAhead {
	if s.ahead <= 0 || !s.units[i].in.bucket.ReadAheadPays() {
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

// take returns unit i's stream, opening it unless it was read ahead; the
// caller closes it.
func (s *unitStreams) take(i int) unitStream {
	s.mu.Lock()
	us, ok := s.open[i]
	delete(s.open, i)
	s.mu.Unlock()
	if !ok {
		us = openUnit(s.ctx, s.units[i], s.ahead)
	}
	return us
}

// closeAll closes the streams opened and not taken.
func (s *unitStreams) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for i, us := range s.open {
		us.close()
		delete(s.open, i)
	}
}

// unitStream is the byte stream of one unit: the object (or range) as
// read from storage, and its read-ahead when enabled.
type unitStream struct {
	src    io.Reader
	ahead  *objio.ReadAhead
	rc     *objio.Stream
	cancel context.CancelFunc
}

// openUnit prepares u's stream, read up to ahead bytes ahead when its
// bucket says that pays; nothing is read before the first Read (or the
// read-ahead's start).
func openUnit(ctx context.Context, u unit, ahead int64) unitStream {
	ctx, cancel := context.WithCancel(ctx)
	var rc *objio.Stream
	var src io.Reader
	length := u.size()
	if u.whole() {
		rc = u.in.bucket.Stream(ctx, u.in.info, 0)
		src = rc
	} else {
		// From the byte before the range, to tell whether it starts a line,
		// to where it stops (see splitRule.stop).
		rc = u.in.bucket.StreamRange(ctx, u.in.info, max(u.off-1, 0), u.stop)
		src = newRangeReader(rc, u.off, u.end)
		length = -1 // the last line runs past the range's end
	}
	s := unitStream{src: src, rc: rc, cancel: cancel}
	if ahead > 0 && u.in.bucket.ReadAheadPays() {
		s.ahead = objio.NewReadAhead(ctx, cancel, s.src, length, ahead)
	}
	return s
}

// close stops the stream's reads; it may be called more than once.
func (s unitStream) close() {
	if s.ahead != nil {
		s.ahead.Close()
	}
	s.cancel()
	s.rc.Close()
}

type progressReader struct {
	r io.Reader
	p Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.p.Read(int64(n))
	return n, err
}

// readUnit reads one unit's stream into p with or. Damage in the data is
// reported in the result's damaged field, with the lines before it kept
// only for a clean truncation (features.DamageError): any other damage
// rejects the object whole; a failure of the stream is a storage error.
func readUnit(ctx context.Context, or *features.ObjectReader, name string, r io.Reader, p *features.Partial, middle bool) (objectResult, error) {
	st, err := or.Read(ctx, name, r, p, middle)
	res := objectResult{partial: p, bytesRead: st.BytesRead, bytesDecoded: st.BytesDecoded, rejects: st.Rejects}
	var de *features.DamageError
	var se *features.SourceError
	switch {
	case errors.As(err, &de):
		res.damaged = &DamagedObject{URL: name, Reason: de.Reason(), Lines: de.Lines, Rejected: de.Rejected}
		if de.Rejected {
			res.damaged.Lines = 0 // none kept: the caller discards the partial
		}
		return res, nil
	case errors.As(err, &se):
		return res, failure.Storage(err)
	}
	return res, err
}
