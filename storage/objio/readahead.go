package objio

import (
	"context"
	"io"
	"sync"
)

// chunkSize is the size of one read-ahead buffer: large enough that a
// storage read is one syscall or a few TLS records, small enough that the
// decoder starts on the first one soon.
const chunkSize = 256 << 10

// ReadAhead reads a stream in its own goroutine, up to a fixed number of
// bytes ahead of its consumer, so that storage latency and transfer overlap
// decompression and decoding instead of adding to them. Errors, including
// io.EOF, reach the consumer after the bytes read before them.
type ReadAhead struct {
	src    io.Reader
	ctx    context.Context
	cancel context.CancelFunc
	free   chan []byte
	full   chan chunk
	done   chan struct{}
	once   sync.Once
	size   int // of a buffer; chunkSize ones come from the pool
	// mu is held by Read for its whole call, so that Close, which may be
	// called while a Read is blocked, recycles cur only once it returned.
	mu  sync.Mutex
	cur chunk
	off int // consumed bytes of cur.b
}

type chunk struct {
	b   []byte
	err error
}

// chunks recycles full-size read-ahead buffers between streams.
var chunks = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// NewReadAhead returns a reader of src, a stream of length bytes (or -1 when
// unknown), that holds up to ahead bytes read ahead. Nothing is read until
// Start; cancel must stop src's reads (src reads under ctx or its parent).
func NewReadAhead(ctx context.Context, cancel context.CancelFunc, src io.Reader, length, ahead int64) *ReadAhead {
	size := int64(chunkSize)
	if length >= 0 && length < size {
		size = length + 1 // a short stream: one read sees its end
	}
	n := int(max(1, (ahead+size-1)/size))
	if length >= 0 {
		n = min(n, int(length/size)+1)
	}
	r := &ReadAhead{src: src, ctx: ctx, cancel: cancel, size: int(size), free: make(chan []byte, n),
		full: make(chan chunk, n), done: make(chan struct{})}
	for range n {
		r.free <- nil // allocated on first use, so an unread stream costs nothing
	}
	return r
}

func (r *ReadAhead) alloc() []byte {
	if r.size == chunkSize {
		return chunks.Get().(*[chunkSize]byte)[:]
	}
	return make([]byte, r.size)
}

// Start begins reading in the background; later calls do nothing.
func (r *ReadAhead) Start() {
	r.once.Do(func() { go r.fill() })
}

func (r *ReadAhead) fill() {
	defer close(r.done)
	for {
		var b []byte
		select {
		case b = <-r.free:
		case <-r.ctx.Done():
			return
		}
		if b == nil {
			b = r.alloc()
		}
		n, err := r.src.Read(b[:cap(b)])
		if n == 0 && err == nil {
			r.free <- b // an empty read: try again
			continue
		}
		select {
		case r.full <- chunk{b: b[:n], err: err}:
		case <-r.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// Read returns bytes in stream order, then the stream's error.
func (r *ReadAhead) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Start()
	for r.off == len(r.cur.b) {
		if r.cur.err != nil {
			return 0, r.cur.err
		}
		if r.cur.b != nil {
			r.free <- r.cur.b[:0]
			r.cur = chunk{}
		}
		select {
		case r.cur = <-r.full:
			r.off = 0
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
	n := copy(p, r.cur.b[r.off:])
	r.off += n
	return n, nil
}

// Close stops the background reader and waits for it, so the source may be
// closed after it.
func (r *ReadAhead) Close() error {
	r.cancel()
	r.once.Do(func() { close(r.done) }) // never started
	<-r.done
	r.mu.Lock() // a blocked Read has seen the cancellation and returned
	defer r.mu.Unlock()
	if r.size == chunkSize {
		// The reader has stopped: every buffer is in free, full or cur.
		put := func(b []byte) {
			if b != nil {
				chunks.Put((*[chunkSize]byte)(b[:chunkSize]))
			}
		}
		put(r.cur.b)
		r.cur = chunk{}
		for len(r.free) > 0 {
			put(<-r.free)
		}
		for len(r.full) > 0 {
			put((<-r.full).b)
		}
	}
	return nil
}

// Prefetcher starts the read-ahead of the units after the ones being
// processed, so that the next object's first bytes are already in memory
// when a worker takes it. At most ahead units are read ahead unclaimed.
// Units are opened only when they are claimed or read ahead, so the
// memory it holds does not grow with the number of units.
type Prefetcher struct {
	mu      sync.Mutex
	open    func(i int) *ReadAhead
	started []bool             // opened (read ahead or claimed)
	waiting map[int]*ReadAhead // read ahead and not yet claimed
	next    int                // every unit below next has been started
	ahead   int
}

// NewPrefetcher returns a prefetcher of n units, which opens unit i with
// open: its reader, not yet started, or nil when the unit is not to be
// read ahead (a local file).
func NewPrefetcher(n, ahead int, open func(i int) *ReadAhead) *Prefetcher {
	return &Prefetcher{open: open, started: make([]bool, n), waiting: map[int]*ReadAhead{}, ahead: ahead}
}

// Claim returns unit i's reader, started, and tops up the read-ahead of
// the units after it. It returns nil for a unit without a reader.
func (p *Prefetcher) Claim(i int) *ReadAhead {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.waiting[i]
	if ok {
		delete(p.waiting, i)
	} else if !p.started[i] {
		p.started[i] = true
		if r = p.open(i); r != nil {
			r.Start()
		}
	}
	for len(p.waiting) < p.ahead && p.next < len(p.started) {
		j := p.next
		p.next++
		if !p.started[j] {
			p.started[j] = true
			if rj := p.open(j); rj != nil {
				rj.Start()
				p.waiting[j] = rj
			}
		}
	}
	return r
}
