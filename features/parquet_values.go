package features

import (
	"math"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// payloadAt is the offset of the 64 bits that hold a parquet.Value's
// int64 or double, found by payloadOffset.
var payloadAt = payloadOffset()

// payloadOffset finds where a parquet.Value keeps an int64's or a
// double's bits: the offset of the one 8-byte word that differs between
// two values that differ only there. It returns -1 when parquet-go's Value
// is not laid out so (withPayload then builds values as parquet-go does).
func payloadOffset() int {
	a, b := parquet.Int64Value(0).Level(0, 1, 7), parquet.Int64Value(-1).Level(0, 1, 7)
	const n = unsafe.Sizeof(parquet.Value{})
	wa := unsafe.Slice((*uint64)(unsafe.Pointer(&a)), n/8)
	wb := unsafe.Slice((*uint64)(unsafe.Pointer(&b)), n/8)
	at := -1
	for i := range wa {
		if wa[i] != wb[i] {
			if at >= 0 || wa[i] != 0 || wb[i] != math.MaxUint64 {
				return -1
			}
			at = i * 8
		}
	}
	if n%8 != 0 || at < 0 {
		return -1
	}
	// Every bit pattern lands there, for both kinds, and nowhere else.
	for _, u := range []uint64{1, 1 << 63, 0x0123456789abcdef, math.Float64bits(math.NaN()), math.Float64bits(math.Inf(-1))} {
		if setPayload(a, at, u) != parquet.Int64Value(int64(u)).Level(0, 1, 7) ||
			setPayload(parquet.DoubleValue(0).Level(0, 1, 7), at, u) != parquet.DoubleValue(math.Float64frombits(u)).Level(0, 1, 7) {
			return -1
		}
	}
	return at
}

func setPayload(v parquet.Value, at int, u uint64) parquet.Value {
	*(*uint64)(unsafe.Add(unsafe.Pointer(&v), at)) = u
	return v
}

// withPayload returns v (an int64 or a double, with its levels) holding
// the bits u instead: what parquet.Int64Value or parquet.DoubleValue of u
// then Level would give, without a call per value to Level, which does not
// inline.
func withPayload(v parquet.Value, u uint64) parquet.Value {
	if payloadAt < 0 {
		return levelPayload(v, u)
	}
	// setPayload's line, written out: a call to it puts withPayload over
	// the inliner's budget.
	*(*uint64)(unsafe.Add(unsafe.Pointer(&v), payloadAt)) = u
	return v
}

// levelPayload is withPayload through parquet-go's constructors.
func levelPayload(v parquet.Value, u uint64) parquet.Value {
	if v.Kind() == parquet.Double {
		return parquet.DoubleValue(math.Float64frombits(u)).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
	}
	return parquet.Int64Value(int64(u)).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
}
