package features

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// A window has one internal form, [Window] with Slide == Size when it
// tumbles, and one spelling per place it is written, each with its
// parser and its formatter:
//
//   - the setting (--window): "5m", "15m/5m" ([ParseWindowSpec], [Window.Spec]);
//   - the table's name in output folders, manifests and files --window:
//     "5m", "15m-every-5m" ([ParseWindowName], [Window.String]);
//   - the Iceberg table: "features_5m", "features_15m_5m" (in table/iceberg,
//     built on the name).

// ErrNotDuration is a length or slide that is not a duration as Go writes
// them; it says what is accepted rather than the Go parser's words.
var ErrNotDuration = errors.New("not a duration: write a number and a unit, without spaces, as 90s, 5m, 1h or 1h30m (units: ns, us, ms, s, m, h; not min, d or w)")

// everySep separates the length and the slide in a window's name.
const everySep = "-every-"

// ParseWindowSpec reads a window as the --window setting spells it: a
// length ("5m"), or LENGTH/SLIDE ("15m/5m"), each a Go duration ("900s"
// is 15m). slide is the slide of a spec giving none (0: tumbling). It
// checks the spelling only; which lengths a run accepts is the caller's
// rule.
func ParseWindowSpec(s string, slide time.Duration) (Window, error) {
	size, slideStr, hasSlide := strings.Cut(s, "/")
	w := Window{Slide: slide}
	var err error
	if w.Size, err = time.ParseDuration(size); err != nil {
		return Window{}, fmt.Errorf("length %q %w", size, ErrNotDuration)
	}
	if hasSlide {
		if w.Slide, err = time.ParseDuration(slideStr); err != nil {
			return Window{}, fmt.Errorf("slide %q %w", slideStr, ErrNotDuration)
		}
	}
	return w.normal(), nil
}

// Spec spells w as the --window setting reads it: "5m", or "15m/5m" for
// a sliding window.
func (w Window) Spec() string {
	w = w.normal()
	if w.Slide == w.Size {
		return shortDuration(w.Size)
	}
	return shortDuration(w.Size) + "/" + shortDuration(w.Slide)
}

// String is the window's name, as its table is named in output folders
// (window=15m-every-5m), manifests and the files command: "5m", or
// "15m-every-5m" for a sliding window.
func (w Window) String() string {
	w = w.normal()
	if w.Slide == w.Size {
		return shortDuration(w.Size)
	}
	return shortDuration(w.Size) + everySep + shortDuration(w.Slide)
}

// ParseWindowName reads a window's name as String writes it ("5m",
// "15m-every-5m"). A window has one name: another spelling of the same
// window ("900s", "15m/5m") is refused with the name to write instead.
func ParseWindowName(s string) (Window, error) {
	notName := func() (Window, error) {
		// Another spelling of a window (the setting's) says its name.
		if w, err := ParseWindowSpec(s, 0); err == nil && w.valid() {
			return Window{}, fmt.Errorf("%q: this window is named %s", s, w)
		}
		return Window{}, fmt.Errorf("%q: not a window name such as 5m or 15m-every-5m", s)
	}
	size, slide, sliding := strings.Cut(s, everySep)
	var w Window
	var err error
	if w.Size, err = time.ParseDuration(size); err != nil {
		return notName()
	}
	w.Slide = w.Size
	if sliding {
		if w.Slide, err = time.ParseDuration(slide); err != nil || w.Slide == w.Size {
			return notName()
		}
	}
	if !w.valid() {
		return notName()
	}
	if name := w.String(); name != s {
		return Window{}, fmt.Errorf("%q: this window is named %s", s, name)
	}
	return w, nil
}

// valid reports whether w has a positive length and a positive slide no
// longer than it.
func (w Window) valid() bool {
	return w.Size > 0 && w.Slide > 0 && w.Slide <= w.Size
}

// normal returns w in its internal form: a tumbling window's Slide is its
// Size.
func (w Window) normal() Window {
	if w.Slide == 0 {
		w.Slide = w.Size
	}
	return w
}
