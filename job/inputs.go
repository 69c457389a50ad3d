package job

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
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

// Reasons an object listed under the input is not read.
const (
	// SkipHidden: a segment of its key below the input prefix starts
	// with '_' or '.', as Spark's _SUCCESS and _temporary/, Hadoop's
	// .part-0.crc, macOS's .DS_Store; Hadoop's and Spark's readers skip
	// them too. --read-hidden reads them.
	SkipHidden = "hidden"
	// SkipChecksum: its name ends in .crc (a Hadoop checksum file, whose
	// bytes are not logs). --read-hidden reads them.
	SkipChecksum = "checksum"
	// SkipFolderMarker: an empty object whose key ends in '/', which S3
	// consoles and tools create to show a folder. It holds no byte, so
	// skipping it loses nothing; an object ending in '/' with bytes is
	// read like any other.
	SkipFolderMarker = "folder_marker"
)

// skipReason says why the object key of size bytes, listed under prefix
// (the input's prefix, or a template's expanded prefix), is skipped, or ""
// when it is read. Only the part of the key below the prefix counts: a
// user who names s3://b/_raw/ or ./.cache/logs/ means it. A key that is the
// prefix itself names one object, which is read whatever its name (a file
// given as the input, s3://b/x/.hidden.jsonl), unless it is an empty
// folder marker.
func skipReason(prefix, key string, size int64) string {
	if size == 0 && strings.HasSuffix(key, "/") {
		return SkipFolderMarker
	}
	if key == prefix || !strings.HasPrefix(key, prefix) {
		return ""
	}
	segs := strings.Split(key[len(prefix):], "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		// The first segment goes on with a name the prefix began (logs/app
		// lists logs/app.jsonl and logs/app/x): its start is the user's.
		segs = segs[1:]
	}
	for _, s := range segs {
		if strings.HasPrefix(s, "_") || strings.HasPrefix(s, ".") {
			return SkipHidden
		}
	}
	if strings.HasSuffix(path.Base(key), ".crc") {
		return SkipChecksum
	}
	return ""
}

// listing is what a run found under its input: the objects to read, in URL
// order, and those it skipped, by reason.
type listing struct {
	inputs  []input
	skipped map[string]int64
	// examples holds the first few URLs skipped for each reason, for the log.
	examples map[string][]string
	urls     []string // the prefixes (or URL) listed
	// beside holds, for each URL without a trailing slash that named a
	// folder, the names beside that folder starting with the same name
	// (not read), in key order.
	beside map[string][]string
}

// noteBeside records that u, naming a folder, left out the name n beside it.
func (l *listing) noteBeside(u, n string) {
	if l.beside == nil {
		l.beside = map[string][]string{}
	}
	if ns := l.beside[u]; len(ns) == 0 || ns[len(ns)-1] != n {
		l.beside[u] = append(ns, n)
	}
}

// warnings names, for each URL without a trailing slash that named a
// folder, the folders and files beside it that start with its name: a user
// who meant a name prefix finds out they were not read.
func (l *listing) warnings() []string {
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

// resolveInputs lists the objects to read: under the input prefix, or for
// a template under each expanded prefix of the date (see inputURLs). Every
// object listed is read or skipped with a reason (see skipReason); an
// object two prefixes list is read once.
func resolveInputs(ctx context.Context, cfg *settings.Config, res *settings.Resolved, policy objio.Policy, stdin io.Reader, log *slog.Logger) (*listing, error) {
	l := &listing{skipped: map[string]int64{}, examples: map[string][]string{}}
	if cfg.Input == "-" {
		l.inputs, l.urls = []input{stdinInput(stdin, policy)}, []string{"-"}
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
			if b, err = OpenInput(loc, res.S3, policy); err != nil {
				return nil, err
			}
			// The first call to a store: a wrong endpoint, refused
			// credentials or a missing bucket fail here, at once.
			if err := probe(ctx, b, "input", loc); err != nil {
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
			in := input{bucket: b, loc: loc, info: o, listedNear: listedNear, folderDate: dates[u]}
			url := in.url()
			if seen[url] {
				continue
			}
			seen[url] = true
			if r := skipReason(loc.Prefix, o.Key, o.Size); r != "" && (r == SkipFolderMarker || !cfg.ReadHidden) {
				l.skipped[r]++
				if len(l.examples[r]) < skippedExamples {
					l.examples[r] = append(l.examples[r], url)
				}
				continue
			}
			l.inputs = append(l.inputs, in)
		}
	}
	slices.SortFunc(l.inputs, func(a, b input) int { return strings.Compare(a.url(), b.url()) })
	if err := refuseHardLinks(l.inputs); err != nil {
		return nil, err
	}
	for _, r := range slices.Sorted(maps.Keys(l.skipped)) {
		log.Info("input objects skipped", "reason", r, "objects", l.skipped[r], "first", l.examples[r])
	}
	return l, nil
}

// refuseHardLinks fails, with KindHalt, when two of the inputs to read
// are one local file under two names (hard links, as rotatelogs -L and
// other log rotators make): reading both would count every line twice,
// and choosing one name would make what a run reads depend on which names
// a rotator left. Like a symlink, such an input is refused, naming both; a
// name that is skipped (hidden) or outside the input does not count.
func refuseHardLinks(inputs []input) error {
	first := map[string]string{} // file ID → the first URL naming it
	var same []string
	for _, in := range inputs {
		id := in.info.FileID
		if id == "" {
			continue
		}
		if u, ok := first[id]; ok {
			same = append(same, u+" and "+in.url())
			continue
		}
		first[id] = in.url()
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
func (l *listing) namedFolder(u string, loc settings.Location, objs []storage.ObjectInfo) []storage.ObjectInfo {
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
func (l *listing) where() string {
	switch n := len(l.urls); n {
	case 1:
		return l.urls[0]
	case 2:
		return l.urls[0] + " and " + l.urls[1]
	default:
		return fmt.Sprintf("%s … %s (%d prefixes)", l.urls[0], l.urls[n-1], n)
	}
}

// noInputs is the error of a listing with nothing to read.
func (l *listing) noInputs() error {
	skipped := ""
	if len(l.skipped) > 0 {
		skipped = fmt.Sprintf(" (skipped: %s; --read-hidden reads hidden and checksum objects)", formatCounts(l.skipped))
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
