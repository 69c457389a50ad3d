package features

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// randomWindows returns windows of every shape a spelling must carry:
// tumbling (Slide 0 and Slide == Size), sliding, whole units and odd
// ones (1h0m30s, 1.5s, nanoseconds), from a fixed seed.
func randomWindows(t *testing.T, n int) []Window {
	t.Helper()
	r := rand.New(rand.NewPCG(26, 3))
	units := []time.Duration{time.Nanosecond, time.Millisecond, time.Second, time.Minute, time.Hour}
	ws := []Window{
		{Size: 5 * time.Minute}, {Size: 5 * time.Minute, Slide: 5 * time.Minute},
		{Size: 15 * time.Minute, Slide: 5 * time.Minute}, {Size: 24 * time.Hour, Slide: time.Second},
		{Size: time.Hour + 30*time.Second, Slide: 90 * time.Second}, {Size: 1500 * time.Millisecond},
		{Size: time.Nanosecond},
	}
	for len(ws) < n {
		size := time.Duration(1+r.Int64N(1000)) * units[r.IntN(len(units))]
		w := Window{Size: size}
		switch r.IntN(3) {
		case 0: // tumbling, Slide left 0
		case 1:
			w.Slide = size
		default:
			w.Slide = 1 + time.Duration(r.Int64N(int64(size)))
		}
		ws = append(ws, w)
	}
	return ws
}

// Every spelling of a window reads back as the window, in its one
// internal form (Slide == Size when tumbling), and every spelling of one
// window reads as the same window.
func TestWindowSpellingsRoundTrip(t *testing.T) {
	for _, w := range randomWindows(t, 2000) {
		want := w.normal()
		spec, err := ParseWindowSpec(w.Spec(), 0)
		if err != nil || spec != want {
			t.Fatalf("ParseWindowSpec(%q) = %+v, %v; want %+v", w.Spec(), spec, err, want)
		}
		// The slide given apart (--slide) reads as the same window.
		if apart, err := ParseWindowSpec(shortDuration(want.Size), want.Slide); err != nil || apart != want {
			t.Fatalf("ParseWindowSpec(%q, %v) = %+v, %v; want %+v", shortDuration(want.Size), want.Slide, apart, err, want)
		}
		name, err := ParseWindowName(w.String())
		if err != nil || name != want {
			t.Fatalf("ParseWindowName(%q) = %+v, %v; want %+v", w.String(), name, err, want)
		}
		if w.String() != want.String() || w.Spec() != want.Spec() {
			t.Fatalf("%+v and its internal form %+v are spelled differently", w, want)
		}
		// A spelling names one window: Go's plain spelling of its
		// durations (900s/300s, 1h0m0s) is the same window.
		plain := w.Size.String()
		if want.Slide != want.Size {
			plain += "/" + want.Slide.String()
		}
		if other, err := ParseWindowSpec(plain, 0); err != nil || other != want {
			t.Fatalf("ParseWindowSpec(%q) = %+v, %v; want %+v", plain, other, err, want)
		}
	}
}

// A window has one name: other spellings of it are refused, naming it;
// what is no window is refused.
func TestParseWindowNameRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"900s", "named 15m"},
		{"15m0s", "named 15m"},
		{"15m/5m", "named 15m-every-5m"},
		{"900s-every-300s", "named 15m-every-5m"},
		{"5m-every-5m", "not a window name"},
		{"5m-every-15m", "not a window name"},
		{"", "not a window name"},
		{"0s", "not a window name"},
		{"-5m", "not a window name"},
		{"features_5m", "not a window name"},
		{"5m-every-", "not a window name"},
	} {
		if w, err := ParseWindowName(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseWindowName(%q) = %+v, %v; want an error with %q", c.in, w, err, c.want)
		}
	}
}

// ParseWindowSpec checks the spelling; its errors name the part.
func TestParseWindowSpecRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"5", `length "5" not a duration`},
		{"5min", `length "5min" not a duration`},
		{"15m/5", `slide "5" not a duration`},
		{"", `length "" not a duration`},
	} {
		if w, err := ParseWindowSpec(c.in, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseWindowSpec(%q) = %+v, %v; want an error with %q", c.in, w, err, c.want)
		}
	}
}

// FuzzWindowName: whatever ParseWindowName accepts is the name of the
// window it returns, and reads back the same from its other spellings.
func FuzzWindowName(f *testing.F) {
	for _, s := range []string{"5m", "15m-every-5m", "1h0m30s-every-1m30s", "1.5s", "900s", "5m-every-5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindowName(s)
		if err != nil {
			return
		}
		if w.String() != s {
			t.Fatalf("ParseWindowName(%q) = %+v, named %q", s, w, w.String())
		}
		if spec, err := ParseWindowSpec(w.Spec(), 0); err != nil || spec != w {
			t.Fatalf("ParseWindowSpec(%q) = %+v, %v; want %+v", w.Spec(), spec, err, w)
		}
	})
}
