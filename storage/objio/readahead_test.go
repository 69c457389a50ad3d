package objio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/logsmith/logsmith/features"
	"time"
)

func newTestReadAhead(src io.Reader, length, ahead int64) *ReadAhead {
	ctx, cancel := context.WithCancel(context.Background())
	return NewReadAhead(ctx, cancel, src, length, ahead)
}

// Whatever the stream's length, the source's read sizes, the consumer's
// read sizes and the read-ahead size, the consumer sees the stream's bytes
// in order and then io.EOF; many streams at once share the buffer pool.
func TestReadAheadDeliversTheStream(t *testing.T) {
	var wg sync.WaitGroup
	for seed := range uint64(40) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, 1))
			data := make([]byte, rng.IntN(3*chunkSize))
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			var src io.Reader = bytes.NewReader(data)
			switch seed % 3 {
			case 1:
				src = iotest.HalfReader(src)
			case 2:
				src = iotest.DataErrReader(src)
			}
			length := int64(len(data))
			if seed%4 == 0 {
				length = -1
			}
			r := newTestReadAhead(src, length, rng.Int64N(3*chunkSize))
			defer r.Close()
			var got []byte
			buf := make([]byte, 1+rng.IntN(100_000))
			for {
				n, err := r.Read(buf[:1+rng.IntN(len(buf))])
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("seed %d: %v", seed, err)
					return
				}
			}
			if !bytes.Equal(got, data) {
				t.Errorf("seed %d: got %d bytes, want the %d of the stream", seed, len(got), len(data))
			}
		})
	}
	wg.Wait()
}

func TestReadAheadPassesTheSourceError(t *testing.T) {
	boom := errors.New("boom")
	data := bytes.Repeat([]byte("x"), chunkSize+10)
	r := newTestReadAhead(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), -1, 1<<20)
	defer r.Close()
	got, err := io.ReadAll(r)
	if !errors.Is(err, boom) || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v; want %d bytes, then %v", len(got), err, len(data), boom)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Fatalf("read after the error: %v, want %v again", err, boom)
	}
}

// countingSource is an endless stream that counts what was read from it.
type countingSource struct{ n atomic.Int64 }

func (c *countingSource) Read(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// A consumer that does not read holds the source at the read-ahead size.
func TestReadAheadIsBounded(t *testing.T) {
	src := &countingSource{}
	r := newTestReadAhead(src, -1, 3*chunkSize)
	defer r.Close()
	r.Start()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.full) < cap(r.full) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a read beyond the bound would show now
	if got, want := src.n.Load(), int64(3*chunkSize); got != want {
		t.Fatalf("read %d bytes ahead of a consumer that read nothing, want %d", got, want)
	}
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
}

// blockingSource blocks every read until its context ends.
type blockingSource struct{ ctx context.Context }

func (b blockingSource) Read([]byte) (int, error) {
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

// Close stops a reader blocked in the source (the source reads under the
// read-ahead's context) and a consumer waiting for data.
func TestReadAheadCloseStopsBlockedReads(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := NewReadAhead(ctx, cancel, blockingSource{ctx}, -1, 1<<20)
	errc := make(chan error)
	go func() {
		_, err := r.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	r.Close()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked Read returned %v, want context.Canceled", err)
	}
	newTestReadAhead(bytes.NewReader(nil), 0, 1).Close() // never started
}

// The prefetcher keeps exactly one unclaimed unit read ahead, starts a
// claimed unit at once, in whatever order units are claimed, and opens a
// unit only when it is claimed or read ahead.
func TestPrefetcher(t *testing.T) {
	const n = 5
	readers := make([]*ReadAhead, n+1) // the last has no reader (a local file)
	for i := range n {
		readers[i] = newTestReadAhead(bytes.NewReader([]byte{byte(i)}), 1, 1)
		defer readers[i].Close()
	}
	opened := make([]int, n+1)
	p := NewPrefetcher(n+1, 1, func(i int) *ReadAhead { opened[i]++; return readers[i] })
	check := func(want ...int) {
		t.Helper()
		for i, w := range want {
			if opened[i] != w {
				t.Fatalf("opened = %v, want %v", opened, want)
			}
		}
	}
	check(0, 0, 0, 0, 0, 0)
	if p.Claim(0) != readers[0] {
		t.Fatal("claim 0 returned another reader")
	}
	check(1, 1, 0, 0, 0, 0)
	if p.Claim(3) != readers[3] { // out of order: 1 is still the one read ahead
		t.Fatal("claim 3 returned another reader")
	}
	check(1, 1, 0, 1, 0, 0)
	p.Claim(1)
	check(1, 1, 1, 1, 0, 0)
	p.Claim(2)
	check(1, 1, 1, 1, 1, 0)
	p.Claim(4)
	check(1, 1, 1, 1, 1, 1)
	if p.Claim(n) != nil {
		t.Fatal("claim of a unit without a reader returned one")
	}
	check(1, 1, 1, 1, 1, 1)
	for i, r := range readers[:n] {
		b, err := io.ReadAll(r)
		if err != nil || len(b) != 1 || b[0] != byte(i) {
			t.Fatalf("unit %d read %v, %v", i, b, err)
		}
	}
}

// slowSource serves data in 64 KiB reads, each after a pause, like one
// remote stream with latency per round trip.
type slowSource struct {
	r     *bytes.Reader
	pause time.Duration
}

func (s *slowSource) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), 64<<10)])
}

// BenchmarkReadAhead decodes lines from a stream that waits 200 µs before
// each 64 KiB read (a sleeping process wakes later than that, here about
// 1.4 ms: part of what a remote read costs too). With read-ahead the waits
// overlap decoding; without, they add to it. Compare the two MB/s.
func BenchmarkReadAhead(b *testing.B) {
	var data bytes.Buffer
	for i := range 40000 {
		fmt.Fprintf(&data, `{"timestamp":"2025-11-08T10:%02d:%02d.%03dZ","level":"INFO","service":"checkout","path":"/api/v1/cart","status":200,"latency_ms":%d.%03d,"user_id":"u%d"}`+"\n",
			i/1000%60, i/10%60, i%1000, i%300, i%1000, i%5000)
	}
	spec := features.DefaultSpec()
	for _, ahead := range []int64{0, 2 << 20} {
		b.Run(fmt.Sprintf("read-ahead=%d", ahead), func(b *testing.B) {
			b.SetBytes(int64(data.Len()))
			d := features.NewDecoder(spec)
			for b.Loop() {
				var r io.Reader = &slowSource{r: bytes.NewReader(data.Bytes()), pause: 200 * time.Microsecond}
				var ra *ReadAhead
				if ahead > 0 {
					ra = newTestReadAhead(r, int64(data.Len()), ahead)
					r = ra
				}
				p := features.NewPartial(5*time.Minute, 0)
				if err := features.Ingest(context.Background(), r, d, p, features.IngestOptions{MaxLine: 1 << 20}); err != nil {
					b.Fatal(err)
				}
				if ra != nil {
					ra.Close()
				}
			}
		})
	}
}
