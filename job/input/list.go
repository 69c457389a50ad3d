package input

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// Listing is what a run found under its input: the objects to read, in URL
// order, and those it skipped, by reason.
type Listing struct {
	Objects []Object
	Skipped map[string]int64
	// examples holds the first few URLs skipped for each reason, for the log.
	examples map[string][]string
	urls     []string // the prefixes (or URL) listed
	// beside holds, for each URL without a trailing slash that named a
	// folder, the names beside that folder starting with the same name
	// (not read), in key order.
	beside map[string][]string
}

// noteBeside records that u, naming a folder, left out the name n beside it.
func (l *Listing) noteBeside(u, n string) {
	if l.beside == nil {
		l.beside = map[string][]string{}
	}
	if ns := l.beside[u]; len(ns) == 0 || ns[len(ns)-1] != n {
		l.beside[u] = append(ns, n)
	}
}

// Warnings names, for each URL without a trailing slash that named a
// folder, the folders and files beside it that start with its name: a user
// who meant a name prefix finds out they were not read.
func (l *Listing) Warnings() []string {
	var ws []string
	for _, u := range slices.Sorted(maps.Keys(l.beside)) {
		ns := l.beside[u]
		more := ""
		if len(ns) > 3 {
			more = fmt.Sprintf(" and %d more", len(ns)-3)
			ns = ns[:3]
		}
		ws = append(ws, fmt.Sprintf("input %s names the folder %s/, so %s%s beside it, starting with the same name, were not read; a URL without a trailing slash is a name prefix only when no folder has its exact name",
			u, u, strings.Join(ns, ", "), more))
	}
	return ws
}

// nameBeside returns the name, as the user would write it after u, of the
// entry beside the folder prefix names that key is in: prefix-old/ for
// prefix-old/x, prefix.jsonl for itself.
func nameBeside(u, prefix, key string) string {
	rest := key[len(prefix):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i+1]
	}
	return u + rest
}

// skippedExamples is how many skipped URLs per reason the log names.
const skippedExamples = 3

// inputURLs returns the URLs a run of day lists: the input, or a template's
// folders that can hold an event of the day or of the days --widen-days
// adds (see expandDate).
func inputURLs(cfg *settings.Config, res *settings.Resolved, day time.Time) []string {
	if !settings.IsTemplate(cfg.Input) {
		return []string{cfg.Input}
	}
	return settings.ExpandDate(cfg.Input, day, cfg.WidenDays, res.Lateness+windowReach(res.Windows), res.InputZone)
}

// windowReach is how far past the end of its date a run's windows reach:
// a sliding window starting on the date's last slide ends size - slide
// after midnight, and holds the next date's events up to there.
func windowReach(ws []features.Window) time.Duration {
	var r time.Duration
	for _, w := range ws {
		if w.Slide > 0 && w.Size > w.Slide {
			r = max(r, w.Size-w.Slide)
		}
	}
	return r
}

// Opener opens the store of an input location for reading, and checks,
// before any other call, that its objects can be listed: a wrong endpoint,
// refused credentials or a missing bucket fail there, at once.
type Opener func(ctx context.Context, loc settings.Location) (*objio.Bucket, error)

// List lists the objects a run of cfg resolved as res reads: under the
// input prefix, or for a template under each expanded prefix of the date
// (see inputURLs), each store opened once by open; standard input (read
// from stdin, or os.Stdin when nil) is one object. Every object listed is
// read or skipped with a reason (see skipReason); an object two prefixes
// list is read once.
func List(ctx context.Context, cfg *settings.Config, res *settings.Resolved, policy objio.Policy, stdin io.Reader, log *slog.Logger, open Opener) (*Listing, error) {
	l := &Listing{Skipped: map[string]int64{}, examples: map[string][]string{}}
	if cfg.Input == "-" {
		l.Objects, l.urls = []Object{Stdin(stdin, policy)}, []string{"-"}
		return l, nil
	}
	l.urls = inputURLs(cfg, res, res.Day)
	// A key listed under the prefix of hour 1 that goes on with a digit
	// is hour 10's to 19's, not hour 1's (see endsUnpadded).
	unpadded := settings.IsTemplate(cfg.Input) && settings.EndsUnpadded(cfg.Input)
	var near [2]map[string]bool // the URLs the runs of the dates either side list
	if settings.IsTemplate(cfg.Input) && res.Date != "" {
		for k, d := range []time.Time{res.Day.AddDate(0, 0, -1), res.Day.AddDate(0, 0, 1)} {
			near[k] = map[string]bool{}
			for _, u := range inputURLs(cfg, res, d) {
				near[k][u] = true
			}
		}
	}
	var dates map[string]string // the one UTC date of each folder that has one
	if settings.IsTemplate(cfg.Input) && res.Date != "" {
		dates = settings.FolderDates(cfg.Input, res.Day, cfg.WidenDays, res.Lateness+windowReach(res.Windows), res.InputZone)
	}
	seen := map[string]bool{}
	// The folders of a template usually share one S3 bucket: one client
	// serves them all.
	buckets := map[string]*objio.Bucket{}
	for _, u := range l.urls {
		loc, err := settings.InputLocation(u)
		if err != nil {
			return nil, settings.SettingError(cfg, "Input", err)
		}
		store := loc.Scheme + "\x00" + loc.Bucket + "\x00" + loc.Dir
		b := buckets[store]
		if b == nil {
			if b, err = open(ctx, loc); err != nil {
				return nil, err
			}
			buckets[store] = b
		}
		listedNear := [2]bool{true, true} // an input without a template is every date's
		if near[0] != nil {
			listedNear = [2]bool{near[0][u], near[1][u]}
		}
		var objs []storage.ObjectInfo
		err = b.List(ctx, loc.Prefix, func(o storage.ObjectInfo) error {
			if loc.File && o.Key != loc.Prefix {
				return nil // a.jsonl names that file, not a.jsonl.bak beside it
			}
			if unpadded && loc.Prefix != "" && len(o.Key) > len(loc.Prefix) && isDigit(o.Key[len(loc.Prefix)]) {
				return nil // another folder's: listed under its own prefix if the date needs it
			}
			objs = append(objs, o)
			return nil
		})
		if err != nil {
			return nil, failure.Storage(fmt.Errorf("list input %s: %w", loc, err))
		}
		for _, o := range l.namedFolder(u, loc, objs) {
			in := Object{Bucket: b, Loc: loc, Info: o, ListedNear: listedNear, FolderDate: dates[u]}
			url := in.URL()
			if seen[url] {
				continue
			}
			seen[url] = true
			if r := skipReason(loc.Prefix, o.Key, o.Size); r != "" && (r == SkipFolderMarker || !cfg.ReadHidden) {
				l.Skipped[r]++
				if len(l.examples[r]) < skippedExamples {
					l.examples[r] = append(l.examples[r], url)
				}
				continue
			}
			l.Objects = append(l.Objects, in)
		}
	}
	slices.SortFunc(l.Objects, func(a, b Object) int { return strings.Compare(a.URL(), b.URL()) })
	if err := refuseHardLinks(l.Objects); err != nil {
		return nil, err
	}
	for _, r := range slices.Sorted(maps.Keys(l.Skipped)) {
		log.Info("input objects skipped", "reason", r, "objects", l.Skipped[r], "first", l.examples[r])
	}
	return l, nil
}

// refuseHardLinks fails, with KindHalt, when two of the inputs to read
// are one local file under two names (hard links, as rotatelogs -L and
// other log rotators make): reading both would count every line twice,
// and choosing one name would make what a run reads depend on which names
// a rotator left. Like a symlink, such an input is refused, naming both; a
// name that is skipped (hidden) or outside the input does not count.
func refuseHardLinks(inputs []Object) error {
	first := map[string]string{} // file ID → the first URL naming it
	var same []string
	for _, in := range inputs {
		id := in.Info.FileID
		if id == "" {
			continue
		}
		if u, ok := first[id]; ok {
			same = append(same, u+" and "+in.URL())
			continue
		}
		first[id] = in.URL()
	}
	if len(same) == 0 {
		return nil
	}
	const show = 5
	more := ""
	if len(same) > show {
		more = fmt.Sprintf(" and %d more", len(same)-show)
		same = same[:show]
	}
	return failure.New(failure.KindHalt, fmt.Errorf("input holds one file under two names (hard links): %s%s; logsmith reads each file once: remove a name, or move it out of the input",
		strings.Join(same, ", "), more))

}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// namedFolder applies the rule of a URL u without a trailing slash to what
// it listed, objs, by the same test on both backends: when a folder has
// the URL's exact name, that folder is what u names and the entries beside
// it starting with the same name (u-old/, u.jsonl) are not read, but named
// in a warning. A local folder is the store's root, so its neighbours are
// looked up in its parent; an S3 folder is any key under prefix + "/".
func (l *Listing) namedFolder(u string, loc settings.Location, objs []storage.ObjectInfo) []storage.ObjectInfo {
	if strings.HasSuffix(u, "/") || loc.File {
		return objs
	}
	if loc.Scheme == "file" && loc.Prefix == "" {
		base := filepath.Base(loc.Dir)
		entries, err := os.ReadDir(filepath.Dir(loc.Dir))
		if err != nil || base == "." || base == ".." {
			return objs // the root, or a parent we cannot read: nothing to tell
		}
		for _, e := range entries {
			if n := e.Name(); n != base && strings.HasPrefix(n, base) {
				if e.IsDir() {
					n += "/"
				}
				l.noteBeside(u, u+n[len(base):])
			}
		}
		return objs
	}
	if loc.Prefix == "" || strings.HasSuffix(loc.Prefix, "/") {
		return objs
	}
	folder := loc.Prefix + "/"
	if !slices.ContainsFunc(objs, func(o storage.ObjectInfo) bool { return strings.HasPrefix(o.Key, folder) }) {
		return objs // no folder of that name: a name prefix
	}
	kept := objs[:0]
	for _, o := range objs {
		if strings.HasPrefix(o.Key, folder) {
			kept = append(kept, o)
			continue
		}
		l.noteBeside(u, nameBeside(u, loc.Prefix, o.Key))
	}
	return kept
}

// where names what a run listed, for an error: the URL, or a template's
// first and last prefixes and their number.
func (l *Listing) where() string {
	switch n := len(l.urls); n {
	case 1:
		return l.urls[0]
	case 2:
		return l.urls[0] + " and " + l.urls[1]
	default:
		return fmt.Sprintf("%s … %s (%d prefixes)", l.urls[0], l.urls[n-1], n)
	}
}

// NoInputs is the error of a listing with nothing to read.
func (l *Listing) NoInputs() error {
	skipped := ""
	if len(l.Skipped) > 0 {
		skipped = fmt.Sprintf(" (skipped: %s; --read-hidden reads hidden and checksum objects)", formatCounts(l.Skipped))
	}
	return failure.New(failure.KindNotReady, fmt.Errorf("no input objects under %s%s", l.where(), skipped))
}

// formatCounts renders counts by name as "a 1, b 2", sorted by name.
func formatCounts(m map[string]int64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
