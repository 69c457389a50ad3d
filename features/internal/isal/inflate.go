//go:build isal && cgo

package isal

/*
#cgo LDFLAGS: -lisal
#include <stdint.h>
#include <stddef.h>
#include <isa-l/igzip_lib.h>

typedef struct {
	int ret;
	uint32_t used, wrote;
	int finished;
} lsm_result;

// lsm_inflate runs isal_inflate over in and out, then clears the state's
// pointers so that it holds no Go pointer between calls.
static lsm_result lsm_inflate(struct inflate_state *s, uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_len) {
	lsm_result r;
	s->next_in = in;
	s->avail_in = in_len;
	s->next_out = out;
	s->avail_out = out_len;
	r.ret = isal_inflate(s);
	r.used = in_len - s->avail_in;
	r.wrote = out_len - s->avail_out;
	r.finished = s->block_state == ISAL_BLOCK_FINISH;
	s->next_in = NULL;
	s->next_out = NULL;
	s->avail_in = 0;
	s->avail_out = 0;
	return r;
}

static void lsm_inflate_reset(struct inflate_state *s) {
	isal_inflate_init(s);
	s->crc_flag = ISAL_GZIP_NO_HDR_VER;
}
*/
import "C"

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// ErrChecksum is returned for a member whose trailer (CRC-32 or size)
// does not match its content.
var ErrChecksum = errors.New("gzip: invalid checksum")

// errNoProgress would mean ISA-L took no input and gave no output: a bug,
// reported rather than looped on.
var errNoProgress = errors.New("isa-l inflate made no progress")

// Reader inflates one gzip member's deflate data and checks its trailer.
// Input is fed straight from the bufio.Reader's buffer and output written
// straight into the caller's slice; ISA-L hands back what it read past the
// member's end, so the bufio.Reader is left at the byte after the trailer.
// The zero Reader is not usable: call Reset.
type Reader struct {
	// st is the inflate_state in Go memory the garbage collector does not
	// scan (it holds words, not pointers, as Go sees it), so it is freed
	// with the Reader and its next_in/next_out, pointing into Go buffers
	// during a call, are never taken for Go pointers.
	st   []uint64
	br   *bufio.Reader
	in   int64 // deflate bytes consumed in this member, for error offsets
	done bool
	err  error
}

// Reset starts a member whose deflate data begins at br's next byte.
func (z *Reader) Reset(br *bufio.Reader) {
	if z.st == nil {
		z.st = make([]uint64, (C.sizeof_struct_inflate_state+7)/8)
	}
	C.lsm_inflate_reset(z.state())
	z.br, z.in, z.done, z.err = br, 0, false, nil
}

// Read returns the member's content, then io.EOF once the trailer has been
// checked. A member cut short is io.ErrUnexpectedEOF; a read error of br is
// returned as it is.
func (z *Reader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if z.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	out := p[:min(len(p), 1<<30)]
	for {
		if z.br.Buffered() == 0 {
			if _, err := z.br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				z.err = err
				return 0, err
			}
		}
		in, _ := z.br.Peek(z.br.Buffered())
		r := C.lsm_inflate(z.state(), (*C.uint8_t)(unsafe.Pointer(&in[0])), C.uint32_t(len(in)),
			(*C.uint8_t)(unsafe.Pointer(&out[0])), C.uint32_t(len(out)))
		used, wrote := int(r.used), int(r.wrote)
		_, _ = z.br.Discard(used)
		z.in += int64(used)
		if r.ret < 0 {
			z.err = inflateError(int(r.ret), z.in)
			return wrote, z.err
		}
		if r.finished != 0 {
			z.done = true
			if wrote == 0 {
				return 0, io.EOF
			}
			return wrote, nil
		}
		if wrote > 0 {
			return wrote, nil
		}
		if used == 0 {
			z.err = errNoProgress
			return 0, z.err
		}
	}
}

func (z *Reader) state() *C.struct_inflate_state {
	return (*C.struct_inflate_state)(unsafe.Pointer(&z.st[0]))
}

// inflateError translates isal_inflate's error codes.
func inflateError(code int, off int64) error {
	switch code {
	case C.ISAL_INCORRECT_CHECKSUM:
		return ErrChecksum
	case C.ISAL_INVALID_BLOCK:
		return fmt.Errorf("flate: corrupt input before offset %d (invalid block)", off)
	case C.ISAL_INVALID_SYMBOL:
		return fmt.Errorf("flate: corrupt input before offset %d (invalid symbol)", off)
	case C.ISAL_INVALID_LOOKBACK:
		return fmt.Errorf("flate: corrupt input before offset %d (invalid distance)", off)
	}
	return fmt.Errorf("isa-l inflate: error %d before offset %d", code, off)
}
