package shard

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/logsmith/logsmith/features"
)

func TestEncodeReadRoundTrip(t *testing.T) {
	p := features.NewPartial(features.PaneFor([]features.Window{{Size: 5 * time.Minute, Slide: 5 * time.Minute}}), 10)
	h := Header{RunID: "r1", Date: "2025-01-02", Shard: 1, Shards: 3, Units: []string{"a", "b"}, Covered: []string{"b"},
		Rejects: []features.Reject{{Object: "a", Line: 3, Reason: "not_json", Raw: "{"}}}
	p.Counts.Lines = 7
	q := features.NewPartial(p.Pane(), 10)
	data, err := Encode(h, func(add func(*features.Partial) error) error { return errors.Join(add(p), add(q)) })
	if err != nil {
		t.Fatal(err)
	}
	// One byte at a time: Read must not depend on how the store splits reads.
	got, secs, err := Read(iotest.OneByteReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != FormatVersion || got.RunID != "r1" || got.Shard != 1 || len(got.Rejects) != 1 || len(secs) != 2 {
		t.Fatalf("Read = %+v, %d sections", got, len(secs))
	}
	var lines []int64
	if err := secs.Each(func(p *features.Partial) error { lines = append(lines, p.Counts.Lines); return nil }); err != nil || len(lines) != 2 || lines[0] != 7 {
		t.Fatalf("sections decode to lines %v: %v", lines, err)
	}
	// Every truncation and a corrupt magic are refused, never read as a
	// shard; a failing stream reports its own error.
	for _, n := range []int{0, 3, len(magic), len(magic) + 1, len(data) / 2, len(data) - 1} {
		if _, _, err := Read(bytes.NewReader(data[:n])); err == nil {
			t.Errorf("a shard cut at byte %d of %d was read", n, len(data))
		}
	}
	bad := bytes.Clone(data)
	bad[0] = 'X'
	if _, _, err := Read(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "bad magic") {
		t.Errorf("bad magic: %v", err)
	}
	cut := errors.New("connection reset")
	if _, _, err := Read(io.MultiReader(bytes.NewReader(data[:20]), iotest.ErrReader(cut))); !errors.Is(err, cut) {
		t.Errorf("a failing stream: %v, want its error", err)
	}
}

func TestParse(t *testing.T) {
	for s, ok := range map[string]bool{"0/1": true, "3/4": true, "9999/10000": true, "4/4": false, "-1/2": false,
		"1/0": false, "0/10001": false, "1": false, "a/b": false, "": false, "1/2/3": false} {
		if _, _, got := Parse(s); got != ok {
			t.Errorf("Parse(%q) ok = %v, want %v", s, got, ok)
		}
	}
	for _, name := range []string{Name(0, 1), Name(12, 64)} {
		if i, n, ok := ParseName(name); !ok || Name(i, n) != name {
			t.Errorf("ParseName(%q) = %d, %d, %v", name, i, n, ok)
		}
	}
	for _, name := range []string{"shard-01-of-2", "shard-1-of-2x", "shard-1-of-2 ", "x"} {
		if _, _, ok := ParseName(name); ok {
			t.Errorf("ParseName(%q) accepted", name)
		}
	}
}

func TestDealBalancesAndIsDeterministic(t *testing.T) {
	units := []Unit{{"a", 100}, {"b", 60}, {"c", 50}, {"d", 40}, {"e", 10}}
	got := Deal(units, 2)
	want := []int{0, 1, 1, 0, 1} // 100+40 and 60+50+10
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Deal = %v, want %v", got, want)
		}
	}
	// The order of the listing does not matter.
	rev := []Unit{units[4], units[3], units[2], units[1], units[0]}
	g2 := Deal(rev, 2)
	for i := range rev {
		if g2[i] != got[4-i] {
			t.Fatalf("Deal depends on order: %v vs %v", g2, got)
		}
	}
}

func TestCheckCoverage(t *testing.T) {
	all := []string{"a", "b", "c"}
	cases := map[string][][]string{
		"":                  {{"a", "c"}, {"b"}},
		"b is covered by 0": {{"a", "c"}},
		"a is covered by 2": {{"a", "c"}, {"a", "b"}},
		"covered z, which ": {{"a", "b", "c"}, {"z"}},
	}
	for want, covered := range cases {
		err := CheckCoverage(all, covered)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckCoverage(%v) = %v, want %q", covered, err, want)
		}
	}
}
