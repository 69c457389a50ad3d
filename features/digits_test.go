package features

import (
	"encoding/binary"
	"testing"
)

// leadingDigits agrees with a byte loop on every byte value in every
// position, after any digits and before any bytes.
func TestLeadingDigits(t *testing.T) {
	slow := func(b []byte) int {
		n := 0
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			n++
		}
		return n
	}
	for pos := range 8 {
		for v := range 256 {
			for _, fill := range []byte{'0', '9', 0xff, 0x00, '/', ':', 0x30 + 0x10} {
				var b [8]byte
				for k := range b {
					b[k] = fill
				}
				for k := range pos {
					b[k] = '0' + byte(k)
				}
				b[pos] = byte(v)
				if got, want := leadingDigits(binary.LittleEndian.Uint64(b[:])), slow(b[:]); got != want {
					t.Fatalf("% x: %d, want %d", b, got, want)
				}
			}
		}
	}
}

// digitsEnd agrees with a byte loop from every start in numbers of every
// length up to 40, followed by any byte.
func TestDigitsEnd(t *testing.T) {
	for n := range 40 {
		for _, next := range []byte{',', '.', 'e', '}', '"', 0, '/', ':', 0xff} {
			b := make([]byte, 0, n+1)
			for k := range n {
				b = append(b, '0'+byte(k%10))
			}
			for _, withNext := range []bool{false, true} {
				line := b
				if withNext {
					line = append(b, next)
				}
				for i := 0; i <= len(line); i++ {
					want := i
					for want < len(line) && line[want] >= '0' && line[want] <= '9' {
						want++
					}
					if got := digitsEnd(line, i); got != want {
						t.Fatalf("%q from %d: %d, want %d", line, i, got, want)
					}
				}
			}
		}
	}
}
