package globtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/parquet-go/parquet-go"

	"github.com/logsmith/logsmith/internal/testbin"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

var binary string

func TestMain(m *testing.M) {
	testbin.Main(m, &binary, "github.com/logsmith/logsmith/cmd/logsmith")
}

// The days of the generated input; every variant commits partitions of
// these dates only.
var dates = []string{"2025-11-07", "2025-11-08", "2025-11-09"}

var formats = []string{"parquet", "csv"}

// lease is every run's --commit-lease: the shortest allowed, so that a rerun
// after a kill that left claims waits a second, not ten minutes. A live
// run's claims last milliseconds here.
const lease = "1s"

// workload is how much each writer does.
type workload struct{ reruns, races, kills int }

func workloads(s3 bool) workload {
	switch {
	case testing.Short() && s3:
		return workload{reruns: 4, races: 2, kills: 4}
	case testing.Short():
		return workload{reruns: 5, races: 2, kills: 8}
	case s3:
		return workload{reruns: 6, races: 4, kills: 10}
	}
	return workload{reruns: 10, races: 6, kills: 30}
}

// TestGlobReadersLocal: DuckDB globs two local outputs in a loop —
// read_parquet with its defaults and with hive_partitioning = true, and
// read_csv, each as one total and file by file — while writers rerun them
// with alternating variants (dated and undated, one table and two), race two
// runs on one date, and SIGKILL the binary at random points, each kill
// followed by a normal rerun. Every result must be an allowed state: for
// each partition, the rows of one commit of some variant, or nothing before
// its first commit. Then gc --gc-grace 0s must leave no temporary file and
// the outputs must hold exactly the last run's commit.
//
// DuckDB reads the local outputs only: its httpfs extension, which reads
// s3:// URLs, cannot be downloaded where the tests run. TestGlobReadersMinIO
// globs MinIO with a Go lister instead.
func TestGlobReadersLocal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	in1, in2 := inputs(t)
	one := newModel(t, "one-table", "5m", in1, in2, variant{name: "in1-undated-warn", in: in1, windows: "5m", levelMap: "info=warn"})
	two := newModel(t, "two-tables", "5m,1h", in1, in2)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := &duck{db: db}
	root := t.TempDir()
	outs := []*output{localOutput(t, one, filepath.Join(root, "one")), localOutput(t, two, filepath.Join(root, "two"))}
	for _, o := range outs {
		if o.m.dataCols, err = d.columns("read_parquet(" + sqlString(o.m.refFile) + ", hive_partitioning = false)"); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t)
	check := func(o *output) error {
		if err := d.checkParquet(o.m, o.dir); err != nil {
			return err
		}
		return d.checkCSV(o.m, o.dir, 0, true)
	}
	h.loop(ctx, outs, workloads(false), map[string]func(*output, int) error{
		"duckdb parquet": func(o *output, _ int) error { return d.checkParquet(o.m, o.dir) },
		"duckdb csv":     func(o *output, pass int) error { return d.checkCSV(o.m, o.dir, pass, false) },
	})
	for _, o := range outs {
		o.finish(ctx, t, h)
		if err := check(o); err != nil {
			t.Errorf("%s after gc: %v", o.m.name, err)
		}
		final := o.m.finalCells()
		for _, q := range []string{"read_parquet(" + sqlString(o.dir+"/**/*.parquet") + ")", "read_csv(" + sqlString(o.dir+"/**/*.csv") + ")"} {
			if c, err := d.total(q); err != nil || c != sum(final) {
				t.Errorf("%s: DuckDB %s reads %v (%v), want the last run's %v", o.m.name, q, c, err, sum(final))
			}
		}
		// The checks can fail: a file beside the layout is caught.
		stray(t, o, func() error { return check(o) })
	}
	h.report(t, outs)
}

// TestGlobReadersMinIO is TestGlobReadersLocal on MinIO, read by Go glob
// readers: each lists every key under the output, keeps those ending in
// .parquet (or .csv) with no path segment starting with "_" or ".", and
// reads each Parquet object in one of three ways: by one GET; by ranged
// GETs of the footer and then of the column chunks, as DuckDB's httpfs,
// pyarrow and polars read S3; and by ranged GETs pinned to the listed ETag,
// as DuckDB's httpfs checks since 1.4.
func TestGlobReadersMinIO(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, client, s3 := minioBucket(t)
	in1, in2 := inputs(t)
	one := newModel(t, "one-table", "5m", in1, in2, variant{name: "in1-undated-warn", in: in1, windows: "5m", levelMap: "info=warn"})
	two := newModel(t, "two-tables", "5m,1h", in1, in2)
	var outs []*output
	for _, m := range []*model{one, two} {
		prefix := m.name + "/"
		outs = append(outs, &output{m: m, url: "s3://" + b.Bucket() + "/" + m.name, s3: s3,
			out: table.NewOutput(b, prefix), home: t.TempDir()})
	}
	h := newHarness(t)
	readers := map[string]func(*output, int) error{}
	for _, how := range []string{wholeGET, rangedGET, pinnedGET} {
		readers["go glob by "+how] = func(o *output, _ int) error { return goGlobCheck(ctx, client, o, how) }
	}
	h.loop(ctx, outs, workloads(true), readers)
	for _, o := range outs {
		o.finish(ctx, t, h)
		for _, how := range []string{wholeGET, rangedGET, pinnedGET} {
			if err := goGlobCheck(ctx, client, o, how); err != nil {
				t.Errorf("%s after gc: %v", o.m.name, err)
			}
		}
		stray(t, o, func() error { return goGlobCheck(ctx, client, o, wholeGET) })
	}
	h.report(t, outs)
}

// minioBucket returns a fresh bucket on the test MinIO, a minio-go client
// for the readers, and the LOGSMITH_S3_ settings of the binary.
func minioBucket(t *testing.T) (*storage.S3, *minio.Client, map[string]string) {
	t.Helper()
	b, cfg := storagetest.NewBucket(t)
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: !cfg.Insecure, Region: cfg.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return b, client, map[string]string{
		"LOGSMITH_S3_ENDPOINT": cfg.Endpoint, "LOGSMITH_S3_REGION": cfg.Region,
		"LOGSMITH_S3_ACCESS_KEY": cfg.AccessKey, "LOGSMITH_S3_SECRET_KEY": cfg.SecretKey,
		"LOGSMITH_S3_INSECURE": strconv.FormatBool(cfg.Insecure),
	}
}

// inputs generates the two inputs. in2 has more objects a day and another
// seed, so each of its dates sums to other request counts than in1's: a
// reader seeing a mix of two commits, or one counted twice, sees a total
// no single choice per partition gives.
func inputs(t *testing.T) (in1, in2 string) {
	t.Helper()
	dir := t.TempDir()
	gen := func(name string, objects int, seed uint64) string {
		out := filepath.Join(dir, name)
		cfg := settings.GenerateConfig{Output: out, Objects: objects, Lines: 1500, Seed: seed,
			Start: time.Date(2025, 11, 7, 0, 0, 0, 0, time.UTC), Days: len(dates), BadRatio: 0.005}
		if _, err := job.Generate(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return gen("in1", 2, 3), gen("in2", 3, 5)
}

// variant is one way the writers run: an input, dated (--date over the
// templated input) or undated (every date of the folder), and the window
// specs.
type variant struct {
	name    string
	in      string
	dated   bool
	windows string
	// levelMap, when set, makes the variant's bytes differ from another
	// of the same input and windows (its warn counts), as a rerun with
	// another config does: the table's shape cannot change (issue 24).
	levelMap string
}

// env returns the run's settings as LOGSMITH_ variables.
func (v variant) env(out, date string, s3 map[string]string) map[string]string {
	e := map[string]string{
		"LOGSMITH_INPUT": v.in, "LOGSMITH_OUTPUT": out, "LOGSMITH_WINDOW": v.windows,
		"LOGSMITH_FORMAT": "parquet,csv", "LOGSMITH_COMMIT_LEASE": lease, "LOGSMITH_JSON": "true",
		// The writers replace partitions from other inputs, some with
		// fewer events, on purpose.
		"LOGSMITH_ALLOW_FEWER_EVENTS": "true",
	}
	if v.levelMap != "" {
		e["LOGSMITH_LEVEL_MAP"] = v.levelMap
	}
	if v.dated {
		e["LOGSMITH_INPUT"] = v.in + "/{yyyy}/{mm}/{dd}/"
		e["LOGSMITH_DATE"] = date
	}
	maps.Copy(e, s3)
	return e
}

// cell is what a reader sees of some data: rows and their request_count
// sum.
type cell struct{ Rows, Sum int64 }

func (c cell) add(d cell) cell { return cell{c.Rows + d.Rows, c.Sum + d.Sum} }

func (c cell) String() string { return fmt.Sprintf("%d rows/%d requests", c.Rows, c.Sum) }

func sum(files map[string]cell) cell {
	var c cell
	for _, f := range files {
		c = c.add(f)
	}
	return c
}

// model is what readers may see under one output. Partitions are named by
// their folder ("date=D" or "window=W/date=D").
type model struct {
	name     string
	hive     []string // columns a hive-partitioned read adds
	variants []variant
	byVar    map[string]map[string]cell // variant -> partition -> its commit's cell
	refs     map[string]string          // variant -> the folder it committed to alone
	choices  map[string][]cell          // partition -> the cells of its possible commits
	refFile  string                     // one data object, for the data columns
	dataCols []string
	final    variant // the last run's variant, once the writer chose it
	finalRun string  // and its run id

	mu        sync.Mutex
	committed map[string]bool          // partitions a finished run committed
	totals    map[int]map[cell]bool    // allowed totals, by the number of committed partitions
	seen      map[string]map[cell]bool // reader source -> totals seen
	seenParts map[string]map[cell]bool // partition -> cells seen
}

// newModel runs every variant once into a folder of its own and records
// the cell of each partition it commits, in both formats (which must
// agree).
func newModel(t *testing.T, name, windows, in1, in2 string, extra ...variant) *model {
	t.Helper()
	m := &model{name: name, hive: []string{"date"}, byVar: map[string]map[string]cell{}, refs: map[string]string{}, choices: map[string][]cell{},
		committed: map[string]bool{}, totals: map[int]map[cell]bool{}, seen: map[string]map[cell]bool{}, seenParts: map[string]map[cell]bool{}}
	if strings.Contains(windows, ",") {
		m.hive = []string{"window", "date"}
	}
	m.variants = append([]variant{
		{name: "in1-dated", in: in1, dated: true, windows: windows},
		{name: "in2-undated", in: in2, windows: windows},
		{name: "in2-dated", in: in2, dated: true, windows: windows},
		{name: "in1-undated", in: in1, windows: windows},
	}, extra...)
	for _, v := range m.variants {
		dir := filepath.Join(t.TempDir(), v.name)
		m.refs[v.name] = dir
		runDates := []string{""}
		if v.dated {
			runDates = dates
		}
		for _, d := range runDates {
			p, err := start(v.env(dir, d, nil), t.TempDir(), "run")
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := p.wait(); code != 0 {
				t.Fatalf("%s %s: exit %d\n%s", v.name, d, code, p.stderr.String())
			}
		}
		cells, err := localCells(dir, "parquet")
		if err != nil {
			t.Fatal(err)
		}
		csvCells, err := localCells(dir, "csv")
		if err != nil {
			t.Fatal(err)
		}
		m.byVar[v.name] = map[string]cell{}
		for key, c := range cells {
			part := path.Dir(key)
			if cc := csvCells[path.Join(part, "part-00000.csv")]; cc != c {
				t.Fatalf("%s %s: parquet has %v, csv %v", v.name, part, c, cc)
			}
			m.byVar[v.name][part] = c
			if !slices.Contains(m.choices[part], c) {
				m.choices[part] = append(m.choices[part], c)
			}
			m.refFile = filepath.Join(dir, key)
		}
		if len(cells) != len(dates)*(strings.Count(v.windows, ",")+1) {
			t.Fatalf("%s committed %d partitions: %v", v.name, len(cells), slices.Sorted(maps.Keys(cells)))
		}
	}
	// The test can only see a mix if the inputs disagree on every partition.
	for part := range m.choices {
		for _, a := range m.variants {
			for _, b := range m.variants {
				if a.in != b.in && m.byVar[a.name][part] == m.byVar[b.name][part] {
					t.Fatalf("%s: %s and %s commit the same %v", part, a.name, b.name, m.byVar[a.name][part])
				}
			}
		}
	}
	return m
}

// markCommitted records the partitions a finished run committed: from now
// on a reader must see one of their commits.
func (m *model) markCommitted(parts []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range parts {
		m.committed[p] = true
	}
}

func (m *model) committedNow() map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.committed)
}

// allowed returns every total a reader may see once the partitions of
// committed are committed: the sum, over partitions, of one of their
// commits' cells, or nothing for one not yet committed.
func (m *model) allowed(committed map[string]bool) map[cell]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.totals[len(committed)]; ok { // committed only grows
		return a
	}
	totals := map[cell]bool{{}: true}
	for _, part := range slices.Sorted(maps.Keys(m.choices)) {
		next := map[cell]bool{}
		for t := range totals {
			if !committed[part] {
				next[t] = true
			}
			for _, c := range m.choices[part] {
				next[t.add(c)] = true
			}
		}
		totals = next
	}
	m.totals[len(committed)] = totals
	return totals
}

// wrongState is a reading that succeeded and saw what no commit allows:
// always a failure. Any other error of a reader is a read that failed
// (see retryRead).
type wrongState struct{ error }

func wrong(format string, args ...any) error { return wrongState{fmt.Errorf(format, args...)} }

// retryRead reads as a user of a glob-based reader must: a query that
// overlaps the replacement of a data object it is reading may fail (DuckDB
// reopens a local file by name between footer and row groups; ranged GETs
// on S3 see the new object or a 412) and is retried. Seeing a wrong state
// is never retried. It returns how many attempts failed.
func retryRead(read func() error) (failed int, err error) {
	for attempt := 1; ; attempt++ {
		err = read()
		var ws wrongState
		if err == nil || errors.As(err, &ws) || attempt == readAttempts {
			return attempt - 1, err
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
}

// readAttempts bounds retryRead: a reader that fails this many times in a
// row while the writers run fails the test.
const readAttempts = 8

// checkTotal checks a total a reader saw.
func (m *model) checkTotal(source string, c cell, committed map[string]bool) error {
	m.mu.Lock()
	if m.seen[source] == nil {
		m.seen[source] = map[cell]bool{}
	}
	m.seen[source][c] = true
	m.mu.Unlock()
	if !m.allowed(committed)[c] {
		return wrong("%s reads %v: no commit per partition gives that total (partitions committed: %v; commits: %v)",
			source, c, slices.Sorted(maps.Keys(committed)), m.choices)
	}
	return nil
}

// checkFiles checks one reading, data object by data object, of an
// output's files of one format: each must be a data object of the layout
// holding the rows of one commit of its partition, and every partition
// committed before the reading began must be there.
func (m *model) checkFiles(source string, files map[string]cell, ext string, committed map[string]bool) error {
	present := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(files)) {
		c := files[key]
		part, ok := strings.CutSuffix(key, "/part-00000."+ext)
		if _, known := m.choices[part]; !ok || !known {
			return wrong("%s reads %s (%v), which is no data object of the layout; it read %v", source, key, c, files)
		}
		if !slices.Contains(m.choices[part], c) {
			return wrong("%s reads %v from %s: no commit of %s holds that (its commits: %v); it read %v",
				source, c, key, part, m.choices[part], files)
		}
		present[part] = true
		m.mu.Lock()
		if m.seenParts[part] == nil {
			m.seenParts[part] = map[cell]bool{}
		}
		m.seenParts[part][c] = true
		m.mu.Unlock()
	}
	for part := range committed {
		if !present[part] {
			return wrong("%s reads no %s file of %s, committed before it began; it read %v", source, ext, part, files)
		}
	}
	return m.checkTotal(source, sum(files), committed)
}

// finalCells returns the cells of the last run's commit.
func (m *model) finalCells() map[string]cell {
	files := map[string]cell{}
	for part, c := range m.byVar[m.final.name] {
		files[part+"/part-00000.parquet"] = c
	}
	return files
}

// globbed reports whether a glob reader of *.ext reads the object at rel
// (relative to the output): its name ends in .ext and no path segment
// starts with "_" or "." (pyarrow's and the layout's rule).
func globbed(rel, ext string) bool {
	if !strings.HasSuffix(rel, "."+ext) {
		return false
	}
	for seg := range strings.SplitSeq(rel, "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return true
}

// readCell reads a whole data object.
func readCell(name string, data []byte) (cell, error) {
	var c cell
	switch path.Ext(name) {
	case ".parquet":
		rows, err := parquet.Read[struct {
			RequestCount int64 `parquet:"request_count"`
		}](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return c, fmt.Errorf("read %s: %w", name, err)
		}
		for _, r := range rows {
			c = c.add(cell{1, r.RequestCount})
		}
	case ".csv":
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil || len(recs) == 0 {
			return c, fmt.Errorf("read %s: %v (%d records)", name, err, len(recs))
		}
		col := slices.Index(recs[0], "request_count")
		for _, r := range recs[1:] {
			n, err := strconv.ParseInt(r[col], 10, 64)
			if err != nil {
				return c, fmt.Errorf("read %s: %w", name, err)
			}
			c = c.add(cell{1, n})
		}
	default:
		return c, fmt.Errorf("read %s: not a data object", name)
	}
	return c, nil
}

// localCells reads the data objects of one format under dir as a glob
// reader does, keyed by their path relative to dir.
func localCells(dir, ext string) (map[string]cell, error) {
	files := map[string]cell{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !globbed(filepath.ToSlash(rel), ext) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)], err = readCell(rel, data)
		return err
	})
	return files, err
}

// duck reads local outputs with DuckDB.
type duck struct{ db *sql.DB }

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// noFiles is DuckDB's error for a glob that matches nothing: an output
// before its first commit.
const noFiles = "No files found that match the pattern"

func (d *duck) total(from string) (cell, error) {
	var c cell
	err := d.db.QueryRow("SELECT count(*), coalesce(sum(request_count), 0)::BIGINT FROM "+from).Scan(&c.Rows, &c.Sum)
	if err != nil && strings.Contains(err.Error(), noFiles) {
		return cell{}, nil
	}
	return c, err
}

// byFile reads from (with filename = true) file by file, keyed by path
// relative to dir.
func (d *duck) byFile(from, dir string) (map[string]cell, error) {
	rows, err := d.db.Query("SELECT filename, count(*), coalesce(sum(request_count), 0)::BIGINT FROM " + from + " GROUP BY filename")
	if err != nil {
		if strings.Contains(err.Error(), noFiles) {
			return map[string]cell{}, nil
		}
		return nil, err
	}
	defer rows.Close()
	files := map[string]cell{}
	for rows.Next() {
		var name string
		var c cell
		if err := rows.Scan(&name, &c.Rows, &c.Sum); err != nil {
			return nil, err
		}
		files[strings.TrimPrefix(filepath.ToSlash(name), filepath.ToSlash(dir)+"/")] = c
	}
	return files, rows.Err()
}

// columns returns the column names DuckDB reads from from; none when
// nothing matches.
func (d *duck) columns(from string) ([]string, error) {
	rows, err := d.db.Query("DESCRIBE SELECT * FROM " + from)
	if err != nil {
		if strings.Contains(err.Error(), noFiles) {
			return nil, nil
		}
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

func glob(dir, ext string) string { return sqlString(dir + "/**/*." + ext) }

// checkParquet reads the Parquet files of the output at dir every way once:
// totals with read_parquet's defaults and with hive_partitioning = true,
// file by file, and the columns. A DuckDB error, such as a file vanishing
// between the glob and its opening, fails it too.
func (d *duck) checkParquet(m *model, dir string) error {
	committed := m.committedNow()
	g := glob(dir, "parquet")
	for _, q := range []struct{ source, from string }{
		{"read_parquet", "read_parquet(" + g + ")"},
		{"read_parquet hive", "read_parquet(" + g + ", hive_partitioning = true)"},
	} {
		c, err := d.total(q.from)
		if err != nil {
			return fmt.Errorf("%s: %w", q.source, err)
		}
		if err := m.checkTotal(q.source, c, committed); err != nil {
			return err
		}
	}
	files, err := d.byFile("read_parquet("+g+", filename = true)", dir)
	if err != nil {
		return fmt.Errorf("read_parquet by file: %w", err)
	}
	if err := m.checkFiles("read_parquet by file", files, "parquet", committed); err != nil {
		return err
	}
	if err := d.checkColumns(m, "read_parquet hive", "read_parquet("+g+", hive_partitioning = true)", true); err != nil {
		return err
	}
	return d.checkColumns(m, "read_parquet", "read_parquet("+g+")", false)
}

// checkCSV reads the CSV files of the output at dir: read_csv with its
// defaults sniffs every time and is slow (0.1-0.5 s), so a pass alternates
// between the total and file by file, and describes the columns every
// eighth time; all is one pass.
func (d *duck) checkCSV(m *model, dir string, pass int, all bool) error {
	committed := m.committedNow()
	g := glob(dir, "csv")
	if all || pass%2 == 0 {
		c, err := d.total("read_csv(" + g + ")")
		if err != nil {
			return fmt.Errorf("read_csv: %w", err)
		}
		if err := m.checkTotal("read_csv", c, committed); err != nil {
			return err
		}
	}
	if all || pass%2 == 1 {
		files, err := d.byFile("read_csv("+g+", filename = true)", dir)
		if err != nil {
			return fmt.Errorf("read_csv by file: %w", err)
		}
		if err := m.checkFiles("read_csv by file", files, "csv", committed); err != nil {
			return err
		}
	}
	if all || pass%8 == 0 {
		return d.checkColumns(m, "read_csv", "read_csv("+g+")", false)
	}
	return nil
}

// checkColumns checks that from has the data columns and the stable hive
// columns, no other (exact: all of the hive columns).
func (d *duck) checkColumns(m *model, source, from string, exact bool) error {
	want := append(slices.Clone(m.dataCols), m.hive...)
	{
		got, err := d.columns(from)
		if err != nil {
			return fmt.Errorf("describe %s: %w", source, err)
		}
		if got == nil {
			return nil
		}
		extra := slices.DeleteFunc(slices.Clone(got), func(c string) bool { return slices.Contains(want, c) })
		missing := slices.DeleteFunc(slices.Clone(want), func(c string) bool { return slices.Contains(got, c) })
		if len(extra) > 0 || (exact && len(missing) > 0) || !isSubset(m.dataCols, got) {
			return wrong("describe %s: columns %v; want the data columns and %v", source, got, m.hive)
		}
	}
	return nil
}

func isSubset(a, b []string) bool {
	return !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) })
}

// How a Go glob reader reads each object it listed.
const (
	// wholeGET: one GET of the whole object.
	wholeGET = "one GET"
	// rangedGET: a Parquet file by ranged GETs (the footer, then the
	// column chunks), as DuckDB's httpfs, pyarrow and polars read S3.
	rangedGET = "ranged GETs"
	// pinnedGET: ranged GETs with If-Match of the ETag the listing gave,
	// failing when the object changed (DuckDB's httpfs checks ETags since
	// 1.4 and fails the query likewise).
	pinnedGET = "ranged GETs pinned to the listed ETag"
)

// goGlobCheck reads an output on MinIO as a glob reader does: list every
// key, keep *.parquet (then *.csv) outside "_" and "." folders, read each
// (CSV always by one GET). An object listed and then gone, or unreadable,
// is a failure.
func goGlobCheck(ctx context.Context, c *minio.Client, o *output, how string) error {
	committed := o.m.committedNow()
	b := o.out.Bucket.(*storage.S3)
	for _, ext := range formats {
		var objs []storage.ObjectInfo
		err := b.List(ctx, o.out.Prefix, func(obj storage.ObjectInfo) error {
			if globbed(strings.TrimPrefix(obj.Key, o.out.Prefix), ext) {
				objs = append(objs, obj)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("glob *.%s: %w", ext, err)
		}
		files := map[string]cell{}
		for _, obj := range objs {
			rel := strings.TrimPrefix(obj.Key, o.out.Prefix)
			var err error
			if ext == "parquet" && how != wholeGET {
				files[rel], err = readRanged(ctx, c, b.Bucket(), obj, how == pinnedGET)
			} else {
				var data []byte
				if data, err = getWhole(ctx, c, b.Bucket(), obj.Key); err == nil {
					files[rel], err = readCell(rel, data)
				}
			}
			if err != nil {
				return fmt.Errorf("glob *.%s by %s listed %s (%d bytes, ETag %s), then: %w", ext, how, rel, obj.Size, obj.ETag, err)
			}
		}
		if err := o.m.checkFiles("go glob *."+ext+" by "+how, files, ext, committed); err != nil {
			return err
		}
	}
	return nil
}

// getWhole reads an object by one GET.
func getWhole(ctx context.Context, c *minio.Client, bucket, key string) ([]byte, error) {
	obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return io.ReadAll(obj) // the first Read sends the one GET
}

// rangeReader is an object read by one ranged GET per ReadAt.
type rangeReader struct {
	ctx         context.Context
	c           *minio.Client
	bucket, key string
	etag        string // If-Match when not empty
	requests    int
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+int64(len(p))-1); err != nil {
		return 0, err
	}
	if r.etag != "" {
		opts.SetMatchETag(r.etag)
	}
	r.requests++
	obj, err := r.c.GetObject(r.ctx, r.bucket, r.key, opts)
	if err != nil {
		return 0, err
	}
	defer obj.Close()
	n, err := io.ReadFull(obj, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// readRanged reads a Parquet object of the listed size by ranged GETs.
func readRanged(ctx context.Context, c *minio.Client, bucket string, obj storage.ObjectInfo, pin bool) (_ cell, err error) {
	r := &rangeReader{ctx: ctx, c: c, bucket: bucket, key: obj.Key}
	if pin {
		r.etag = obj.ETag
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet-go panicked after %d requests: %v", r.requests, p)
		}
	}()
	rows, err := parquet.Read[struct {
		RequestCount int64 `parquet:"request_count"`
	}](r, obj.Size)
	if err != nil {
		return cell{}, fmt.Errorf("after %d requests: %w", r.requests, err)
	}
	var cl cell
	for _, row := range rows {
		cl = cl.add(cell{1, row.RequestCount})
	}
	return cl, nil
}

func readObject(ctx context.Context, b table.Bucket, key string) ([]byte, error) {
	rc, err := b.Open(ctx, key, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// proc is one run of the binary.
type proc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr watch
	began  time.Time
	done   chan struct{}
	took   time.Duration
}

// watch keeps a process's stderr and closes committed at its first
// "committed" log line.
type watch struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	committed chan struct{}
	once      sync.Once
}

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte(`"msg":"committed"`)) {
		w.once.Do(func() { close(w.committed) })
	}
	return len(p), nil
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// start starts the binary with only the given environment.
func start(env map[string]string, home string, args ...string) (*proc, error) {
	p := &proc{done: make(chan struct{})}
	p.stderr.committed = make(chan struct{})
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		p.cmd.Env = append(p.cmd.Env, k+"="+env[k])
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.began = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = p.cmd.Wait()
		p.took = time.Since(p.began)
		close(p.done)
	}()
	return p, nil
}

// wait returns the exit code, and whether a signal ended the process.
func (p *proc) wait() (code int, signaled bool) {
	<-p.done
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return p.cmd.ProcessState.ExitCode(), ws.Signaled()
}

// committedParts returns the partitions a run's --json summary says it
// committed.
func committedParts(m *model, results []job.PartitionResult) []string {
	var parts []string
	for _, r := range results {
		if r.Status != job.StatusCommitted {
			continue
		}
		p := "date=" + r.Date
		if len(m.hive) > 1 {
			p = "window=" + r.Window + "/" + p
		}
		parts = append(parts, p)
	}
	return parts
}

// journal is what the writers did, for the report of a reader failure.
type journal struct {
	began time.Time
	mu    sync.Mutex
	lines []string
	at    []time.Duration
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	at := time.Since(j.began)
	j.at = append(j.at, at)
	j.lines = append(j.lines, fmt.Sprintf("%8.3fs %s", at.Seconds(), fmt.Sprintf(format, args...)))
}

// around returns the entries from 3s before at to 1s after it.
func (j *journal) around(at time.Duration) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var b strings.Builder
	for i, t := range j.at {
		if t > at-3*time.Second && t < at+time.Second {
			b.WriteString("\t" + j.lines[i] + "\n")
		}
	}
	return b.String()
}

// harness runs readers and writers and counts what happened.
type harness struct {
	seed uint64
	j    *journal

	mu       sync.Mutex
	failures map[string][]string // by reader (or writer): the first few
	failed   map[string]int      // by reader (or writer): how many

	passes                                 sync.Map     // reader name -> *atomic.Int64, passes over every output
	retried                                atomic.Int64 // reads that failed and were retried
	runs, lost, races, racesLost           atomic.Int64
	killTries, kills, killsAfterExit       atomic.Int64
	killsTemp, killsClaim, killsClaimData  atomic.Int64
	killsSplit, killsNothing, takeoverWait atomic.Int64
}

func newHarness(t *testing.T) *harness {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return &harness{seed: seed, j: &journal{began: time.Now()}, failures: map[string][]string{}, failed: map[string]int{}}
}

// fail records a failure of who (a reader or a writer) on an output.
func (h *harness) fail(who, output string, err error) {
	at := time.Since(h.j.began)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed[who]++
	if len(h.failures[who]) < 3 {
		h.failures[who] = append(h.failures[who], fmt.Sprintf("at %.3fs, %s of %s: %v\nwriters around it:\n%s", at.Seconds(), who, output, err, h.j.around(at)))
	}
}

// loop runs each reader in a loop over every output until the writers are
// done.
func (h *harness) loop(ctx context.Context, outs []*output, w workload, readers map[string]func(o *output, pass int) error) {
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for name, read := range readers {
		passes := new(atomic.Int64)
		h.passes.Store(name, passes)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pass := 0; rctx.Err() == nil; pass++ {
				for _, o := range outs {
					failed, err := retryRead(func() error { return read(o, pass) })
					h.retried.Add(int64(failed))
					if err != nil {
						h.fail(name, o.m.name, err)
					}
				}
				passes.Add(1)
			}
		}()
	}
	var writers sync.WaitGroup
	for i, o := range outs {
		writers.Add(1)
		go func() {
			defer writers.Done()
			if err := o.write(ctx, h, rand.New(rand.NewPCG(h.seed, uint64(i))), w); err != nil {
				h.fail("writer", o.m.name, err)
			}
		}()
	}
	writers.Wait()
	stop()
	wg.Wait()
}

func (h *harness) report(t *testing.T, outs []*output) {
	t.Helper()
	for _, who := range slices.Sorted(maps.Keys(h.failures)) {
		for _, f := range h.failures[who] {
			t.Error(f)
		}
		t.Errorf("%s failed %d times in all", who, h.failed[who])
	}
	h.passes.Range(func(name, n any) bool {
		t.Logf("reader %s: %d passes over every output", name, n.(*atomic.Int64).Load())
		return true
	})
	t.Logf("readers: %d reads failed while a data object they read was replaced, and were retried", h.retried.Load())
	t.Logf("writers: %d runs completed (%d lost a race), %d races (%d with a loser)", h.runs.Load(), h.lost.Load(), h.races.Load(), h.racesLost.Load())
	t.Logf("kills: %d SIGKILLs tried, %d killed a running binary (%d came after it exited); after a kill: %d left temporary files, %d left claims, "+
		"%d showed readers the data of a claim (killed mid-publish, rows of a commit whose manifest never landed), %d left parquet and csv of one partition from different runs, %d changed nothing visible; %d reruns waited for a claim's lease",
		h.killTries.Load(), h.kills.Load(), h.killsAfterExit.Load(), h.killsTemp.Load(), h.killsClaim.Load(), h.killsClaimData.Load(), h.killsSplit.Load(), h.killsNothing.Load(), h.takeoverWait.Load())
	for _, o := range outs {
		o.m.mu.Lock()
		var sources []string
		for _, s := range slices.Sorted(maps.Keys(o.m.seen)) {
			sources = append(sources, fmt.Sprintf("%s %d", s, len(o.m.seen[s])))
		}
		var parts []string
		for _, p := range slices.Sorted(maps.Keys(o.m.seenParts)) {
			parts = append(parts, fmt.Sprintf("%s %d/%d", p, len(o.m.seenParts[p]), len(o.m.choices[p])))
		}
		o.m.mu.Unlock()
		t.Logf("%s: distinct totals seen: %s; commits seen per partition (of those possible): %s", o.m.name, strings.Join(sources, ", "), strings.Join(parts, ", "))
	}
	if h.kills.Load() == 0 && workloads(false).kills > 0 {
		t.Error("no SIGKILL landed on a running binary")
	}
}

// output is one output the writers share and the readers glob.
type output struct {
	m    *model
	url  string            // --output
	dir  string            // the local folder, for a local output
	s3   map[string]string // LOGSMITH_S3_* for an output on MinIO
	out  table.Output
	home string
}

func localOutput(t *testing.T, m *model, dir string) *output {
	t.Helper()
	b, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &output{m: m, url: dir, dir: dir, out: table.NewOutput(b, ""), home: t.TempDir()}
}

// run runs v to the end; a run that commits marks its partitions.
func (o *output) run(h *harness, v variant, date string) (*proc, int, error) {
	p, err := start(v.env(o.url, date, o.s3), o.home, "run")
	if err != nil {
		return nil, 0, err
	}
	code, _ := p.wait()
	switch code {
	case failure.ExitOK:
		var sum job.Summary
		if err := json.Unmarshal(p.stdout.Bytes(), &sum); err != nil {
			return p, code, fmt.Errorf("%s: summary %q: %w", v.name, p.stdout.String(), err)
		}
		o.m.markCommitted(committedParts(o.m, sum.Partitions))
		h.runs.Add(1)
		h.j.add("%s: %s %s run %s committed (%.0fms)", o.m.name, v.name, date, sum.RunID, p.took.Seconds()*1000)
		if strings.Contains(p.stderr.String(), "waiting for another run") {
			h.takeoverWait.Add(1)
		}
	case failure.ExitLostRace:
		h.runs.Add(1)
		h.lost.Add(1)
		h.j.add("%s: %s %s lost the race", o.m.name, v.name, date)
	default:
		h.j.add("%s: %s %s exit %d", o.m.name, v.name, date, code)
	}
	return p, code, nil
}

// write runs the writer side on o: reruns alternating variants, races, and
// kills each followed by a normal rerun; then a last undated run.
func (o *output) write(ctx context.Context, h *harness, rng *rand.Rand, w workload) error {
	vs := o.m.variants
	date := func() string { return dates[rng.IntN(len(dates))] }
	mustRun := func(v variant, d string) (*proc, error) {
		p, code, err := o.run(h, v, d)
		if err == nil && code != 0 {
			err = fmt.Errorf("%s %s: exit %d\n%s", v.name, d, code, p.stderr.String())
		}
		return p, err
	}
	var took []time.Duration
	for i := range w.reruns {
		p, err := mustRun(vs[i%len(vs)], date())
		if err != nil {
			return err
		}
		took = append(took, p.took)
	}
	slices.Sort(took)
	typical := took[len(took)/2]
	h.j.add("%s: a run typically takes %v", o.m.name, typical)
	for i := range w.races {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a := vs[rng.IntN(len(vs))]
		b := vs[rng.IntN(len(vs))]
		for b.in == a.in {
			b = vs[rng.IntN(len(vs))]
		}
		lineUp := i%2 == 1
		if lineUp { // one partition each, the same one
			a, b = vs[0], vs[2]
		}
		if err := o.race(h, a, b, date(), lineUp); err != nil {
			return err
		}
	}
	for i := range w.kills {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v := vs[rng.IntN(len(vs))]
		if err := o.kill(ctx, h, v, date(), i%3 == 2, time.Duration(rng.Int64N(int64(typical)+1))); err != nil {
			return err
		}
		if _, err := mustRun(vs[rng.IntN(len(vs))], date()); err != nil {
			return err
		}
	}
	var undated []variant
	for _, v := range vs {
		if !v.dated {
			undated = append(undated, v)
		}
	}
	final := undated[rng.IntN(len(undated))]
	p, err := mustRun(final, "")
	if err != nil {
		return err
	}
	var sum job.Summary
	if err := json.Unmarshal(p.stdout.Bytes(), &sum); err != nil {
		return err
	}
	o.m.final = final
	o.m.finalRun = sum.RunID
	return nil
}

// race starts two runs of different inputs on one date at once (the
// binary twice), or, lineUp, runs them in this process lined up before
// their claims so that both have read the same head. At least one commits
// (with lineUp exactly one); the other loses the race; nothing else.
func (o *output) race(h *harness, a, b variant, date string, lineUp bool) error {
	h.races.Add(1)
	codes := make([]int, 2)
	if lineUp {
		var arrived sync.WaitGroup
		arrived.Add(2)
		all := make(chan struct{})
		go func() { arrived.Wait(); close(all) }()
		// A run of two tables claims two partitions: it waits before the first.
		barrier := func() func(context.Context, string) {
			var once sync.Once
			return func(context.Context, string) {
				once.Do(func() {
					arrived.Done()
					select {
					case <-all:
					case <-time.After(10 * time.Second):
					}
				})
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, v := range []variant{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var cfg settings.Config
				if err := settings.ParseEnv(&cfg, v.env(o.url, date, o.s3)); err != nil {
					errs[i] = err
					return
				}
				sum, err := job.Run(context.Background(), cfg, job.Options{BeforePublish: barrier()})
				codes[i] = failure.ExitCode(err)
				switch {
				case err == nil:
					o.m.markCommitted(committedParts(o.m, sum.Partitions))
					h.j.add("%s: lined-up race: %s %s run %s committed", o.m.name, v.name, date, sum.RunID)
				case codes[i] == failure.ExitLostRace:
					h.j.add("%s: lined-up race: %s %s lost", o.m.name, v.name, date)
				default:
					errs[i] = fmt.Errorf("lined-up race: %s %s: %w", v.name, date, err)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		slices.Sort(codes)
		h.runs.Add(2)
		h.lost.Add(1)
		if codes[0] != failure.ExitOK || codes[1] != failure.ExitLostRace {
			return fmt.Errorf("lined-up race of %s and %s on %s: exit codes %v, want one commit and one lost race", a.name, b.name, date, codes)
		}
		h.racesLost.Add(1)
		return nil
	}
	h.j.add("%s: race %s and %s (%s)", o.m.name, a.name, b.name, date)
	var wg sync.WaitGroup
	procs := make([]*proc, 2)
	errs := make([]error, 2)
	for i, v := range []variant{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], codes[i], errs[i] = o.run(h, v, date)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, c := range codes {
		if c != failure.ExitOK && c != failure.ExitLostRace {
			return fmt.Errorf("race on %s: exit %d\n%s", date, c, procs[i].stderr.String())
		}
	}
	if codes[0] != failure.ExitOK && codes[1] != failure.ExitOK {
		return fmt.Errorf("race on %s: both runs lost", date)
	}
	if codes[0] != codes[1] {
		h.racesLost.Add(1)
	}
	return nil
}

// kill starts v and sends SIGKILL after delay, or, atCommit, as soon as it
// logs its first committed partition (mid-publish for a run of several).
// Then it looks at what the kill left.
func (o *output) kill(ctx context.Context, h *harness, v variant, date string, atCommit bool, delay time.Duration) error {
	before, err := o.snapshot(ctx)
	if err != nil {
		return err
	}
	temps, err := o.temps()
	if err != nil {
		return err
	}
	p, err := start(v.env(o.url, date, o.s3), o.home, "run")
	if err != nil {
		return err
	}
	when := fmt.Sprintf("after %v", delay)
	if atCommit {
		when = "at its first commit"
		select {
		case <-p.stderr.committed:
		case <-p.done:
		}
	} else {
		select {
		case <-time.After(delay):
		case <-p.done:
		}
	}
	h.killTries.Add(1)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	code, signaled := p.wait()
	if !signaled {
		h.killsAfterExit.Add(1)
		h.j.add("%s: SIGKILL %s of %s %s came after it exited %d", o.m.name, when, v.name, date, code)
		if code == failure.ExitOK {
			var sum job.Summary
			if err := json.Unmarshal(p.stdout.Bytes(), &sum); err == nil {
				o.m.markCommitted(committedParts(o.m, sum.Partitions))
			}
		}
		return nil
	}
	h.kills.Add(1)
	left, err := o.leftovers(ctx, before, temps)
	if err != nil {
		return err
	}
	if left.temps > 0 {
		h.killsTemp.Add(1)
	}
	if left.claims > 0 {
		h.killsClaim.Add(1)
	}
	if left.claimData > 0 {
		h.killsClaimData.Add(1)
	}
	if left.split > 0 {
		h.killsSplit.Add(1)
	}
	if !left.changed {
		h.killsNothing.Add(1)
	}
	h.j.add("%s: SIGKILL %s of %s %s (%.0fms in): %d temporary files, %d claims (%d with their data visible), %d partitions with parquet and csv of different runs",
		o.m.name, when, v.name, date, p.took.Seconds()*1000, left.temps, left.claims, left.claimData, left.split)
	return nil
}

// snapshot returns the hash of every globbed data object of o.
func (o *output) snapshot(ctx context.Context) (map[string]string, error) {
	objs := map[string]string{}
	err := o.out.Bucket.List(ctx, o.out.Prefix, func(obj storage.ObjectInfo) error {
		rel := strings.TrimPrefix(obj.Key, o.out.Prefix)
		if globbed(rel, "parquet") || globbed(rel, "csv") {
			objs[rel] = ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k := range objs {
		data, err := readObject(ctx, o.out.Bucket, o.out.Prefix+k)
		if err != nil {
			return nil, err
		}
		s := sha256.Sum256(data)
		objs[k] = hex.EncodeToString(s[:])
	}
	return objs, nil
}

// temps returns the temporary files of a local output.
func (o *output) temps() ([]string, error) {
	var temps []string
	if o.dir == "" {
		return nil, nil
	}
	err := filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".logsmith-tmp-") {
			temps = append(temps, p)
		}
		return err
	})
	return temps, err
}

type leftover struct {
	temps, claims, claimData, split int
	changed                         bool
}

// leftovers describes what a kill left under o: before is the snapshot
// and temps the temporary files before it.
func (o *output) leftovers(ctx context.Context, before map[string]string, temps []string) (leftover, error) {
	var left leftover
	now, err := o.temps()
	if err != nil {
		return left, err
	}
	for _, p := range now {
		if !slices.Contains(temps, p) {
			left.temps++
		}
	}
	after, err := o.snapshot(ctx)
	if err != nil {
		return left, err
	}
	left.changed = !maps.Equal(before, after)
	tables, err := o.out.Tables(ctx)
	if err != nil {
		return left, err
	}
	for _, t := range tables {
		ms, err := t.Manifests(ctx)
		if err != nil {
			return left, err
		}
		for _, m := range ms {
			rel := strings.TrimPrefix(t.PartitionPrefix(m.Date), o.out.Prefix)
			var cells [2]cell
			for i, f := range formats {
				data, err := readObject(ctx, o.out.Bucket, o.out.Prefix+rel+"part-00000."+f)
				if err == nil {
					cells[i], err = readCell("part."+f, data)
				}
				if err != nil && !errors.Is(err, storage.ErrNotExist) {
					return left, err
				}
			}
			if cells[0] != cells[1] {
				left.split++
			}
			if m.State != table.StateClaimed {
				continue
			}
			left.claims++
			for _, f := range m.Files {
				var was string
				if m.Previous != nil {
					for _, pf := range m.Previous.Files {
						if pf.Path == f.Path {
							was = pf.SHA256
						}
					}
				}
				if sha, ok := after[rel+f.Path]; ok && sha != was {
					left.claimData++
					break
				}
			}
		}
	}
	return left, nil
}

// finish collects garbage with no grace and checks that the output holds
// exactly the last run's commit: committed manifests of its run listing
// the data objects in place, nothing else beside them, no temporary file.
func (o *output) finish(ctx context.Context, t *testing.T, h *harness) {
	t.Helper()
	if o.m.final.name == "" {
		t.Errorf("%s: the writer never finished", o.m.name)
		return
	}
	env := map[string]string{"LOGSMITH_OUTPUT": o.url, "LOGSMITH_GC_GRACE": "0s", "LOGSMITH_JSON": "true"}
	maps.Copy(env, o.s3)
	p, err := start(env, o.home, "gc")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := p.wait(); code != 0 {
		t.Fatalf("%s: gc: exit %d\n%s", o.m.name, code, p.stderr.String())
	}
	h.j.add("%s: gc --gc-grace 0s: %s", o.m.name, strings.TrimSpace(p.stdout.String()))
	if temps, err := o.temps(); err != nil || len(temps) > 0 {
		t.Errorf("%s: after gc, temporary files %v (%v)", o.m.name, temps, err)
	}
	tables, err := o.out.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	final := o.m.byVar[o.m.final.name]
	seen := 0
	for _, tb := range tables {
		ms, err := tb.Manifests(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			prefix := tb.PartitionPrefix(m.Date)
			part := strings.TrimSuffix(strings.TrimPrefix(prefix, o.out.Prefix), "/")
			seen++
			if m.State != table.StateCommitted || m.RunID != o.m.finalRun {
				t.Errorf("%s: %s is %s by run %s, want committed by the last run %s", o.m.name, part, m.State, m.RunID, o.m.finalRun)
			}
			want := map[string]string{prefix + table.ManifestName: ""}
			for _, f := range m.Files {
				want[prefix+f.Path] = f.SHA256
			}
			err = o.out.Bucket.List(ctx, prefix, func(obj storage.ObjectInfo) error {
				sha, ok := want[obj.Key]
				if !ok {
					return fmt.Errorf("%s holds %s, which its manifest does not list", prefix, obj.Key)
				}
				delete(want, obj.Key)
				if sha == "" {
					return nil
				}
				data, err := readObject(ctx, o.out.Bucket, obj.Key)
				if err != nil {
					return err
				}
				s := sha256.Sum256(data)
				if hex.EncodeToString(s[:]) != sha {
					return fmt.Errorf("%s is not what the manifest of run %s lists", obj.Key, m.RunID)
				}
				c, err := readCell(obj.Key, data)
				if err != nil {
					return err
				}
				if c != final[part] {
					return fmt.Errorf("%s holds %v, the last run (%s) committed %v", obj.Key, c, o.m.final.name, final[part])
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s: %v", o.m.name, err)
			}
			if len(want) > 0 {
				t.Errorf("%s: %s lacks %v", o.m.name, part, slices.Sorted(maps.Keys(want)))
			}
		}
	}
	if seen != len(final) {
		t.Errorf("%s: %d partitions, the last run committed %d", o.m.name, seen, len(final))
	}
}

// stray puts a copy of a data object in a run=x folder beside the layout
// and checks that the reader's check fails, then removes it: the test can
// fail.
func stray(t *testing.T, o *output, check func() error) {
	t.Helper()
	ctx := context.Background()
	part := slices.Sorted(maps.Keys(o.m.choices))[0]
	src := o.out.Prefix + part + "/part-00000.parquet"
	key := o.out.Prefix + part + "/run=x/part-00000.parquet"
	data, err := readObject(ctx, o.out.Bucket, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.out.Bucket.Put(ctx, key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	defer o.out.Bucket.Delete(ctx, key)
	if err := check(); err == nil {
		t.Errorf("%s: the readers accept a stray %s", o.m.name, key)
	} else {
		t.Logf("%s: with a stray %s the check fails: %v", o.m.name, key, firstLine(err.Error()))
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// TestRangedReadDuringRerunMinIO replays, step by step, what the ranged
// readers of TestGlobReadersMinIO meet at random: a glob reader lists a
// partition's Parquet object, opens it (ranged GETs of the header magic
// and the footer), a rerun then replaces the object, and the reader reads
// the column chunks the footer points to. Whatever it reads must be the
// rows of one commit, the first or the second; an error fails too.
func TestRangedReadDuringRerunMinIO(t *testing.T) {
	ctx := context.Background()
	b, client, s3 := minioBucket(t)
	in1, in2 := inputs(t)
	first := variant{name: "in1-dated", in: in1, dated: true, windows: "5m"}
	const date = "2025-11-08"
	key := "out/date=" + date + "/part-00000.parquet"
	type counts struct {
		RequestCount int64 `parquet:"request_count"`
		ErrorCount   int64 `parquet:"error_count"`
	}
	type sums struct{ Rows, Requests, Errors int64 }
	add := func(rows []counts) sums {
		s := sums{Rows: int64(len(rows))}
		for _, r := range rows {
			s.Requests += r.RequestCount
			s.Errors += r.ErrorCount
		}
		return s
	}
	commit := func(t *testing.T, v variant) (sums, storage.ObjectInfo) {
		t.Helper()
		p, err := start(v.env("s3://"+b.Bucket()+"/out", date, s3), t.TempDir(), "run")
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := p.wait(); code != 0 {
			t.Fatalf("%s: exit %d\n%s", v.name, code, p.stderr.String())
		}
		data, err := getWhole(ctx, client, b.Bucket(), key)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := parquet.Read[counts](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		info, err := b.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return add(rows), info
	}
	for _, second := range []variant{
		{name: "in2-dated", in: in2, dated: true, windows: "5m"},
		{name: "in1-undated", in: in1, windows: "5m"},
		{name: "in1-undated-warn", in: in1, windows: "5m", levelMap: "info=warn"},
	} {
		t.Run(second.name, func(t *testing.T) {
			a, listed := commit(t, first)
			readers := map[string]*rangeReader{
				rangedGET: {ctx: ctx, c: client, bucket: b.Bucket(), key: key},
				pinnedGET: {ctx: ctx, c: client, bucket: b.Bucket(), key: key, etag: listed.ETag},
			}
			files := map[string]*parquet.File{}
			opened := map[string]int{}
			for how, r := range readers {
				var err error
				if files[how], err = parquet.OpenFile(r, listed.Size); err != nil {
					t.Fatalf("%s: open the first commit: %v", how, err)
				}
				opened[how] = r.requests
			}
			b2, replaced := commit(t, second)
			for _, how := range []string{rangedGET, pinnedGET} {
				got, err := func() (s sums, err error) {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("parquet-go panicked: %v", p)
						}
					}()
					rows := make([]counts, files[how].NumRows())
					n, err := parquet.NewGenericReader[counts](files[how]).Read(rows)
					if errors.Is(err, io.EOF) {
						err = nil
					}
					return add(rows[:n]), err
				}()
				story := fmt.Sprintf("%s listed %s (%d bytes, ETag %s) committed by %s and read its footer in %d requests; "+
					"%s then replaced it (%d bytes, ETag %s); reading the column chunks",
					how, key, listed.Size, listed.ETag, first.name, opened[how], second.name, replaced.Size, replaced.ETag)
				// A reader whose ranged GETs straddle the replacement fails
				// (docs/output.md tells such readers to retry); what it must
				// never do is return numbers of neither commit.
				switch {
				case err != nil:
					t.Logf("%s failed, as documented, after %d requests: %v", story, readers[how].requests, err)
				case got != a && got != b2:
					t.Errorf("%s read %+v without an error: neither the first commit's %+v nor the second's %+v", story, got, a, b2)
				default:
					t.Logf("%s read %+v (first %+v, second %+v)", story, got, a, b2)
				}
			}
		})
	}
}

// TestDuckDBReadsDuringReplace replaces one partition's Parquet object of a
// local output as fast as the store allows — storage.Local.Put against the
// current ETag, exactly the write a rerun's commit makes — alternating
// between the commits of three variants, while DuckDB reads the output in
// a loop. It is the reader loop of TestGlobReadersLocal with the reruns
// squeezed together, so that a reader meets a replacement within a second.
// Every read must succeed and see an allowed state.
func TestDuckDBReadsDuringReplace(t *testing.T) {
	in1, in2 := inputs(t)
	m := newModel(t, "one-table", "5m", in1, in2, variant{name: "in1-undated-warn", in: in1, windows: "5m", levelMap: "info=warn"})
	const part = "date=2025-11-08"
	var versions [][]byte
	for _, v := range []string{"in1-undated", "in2-undated", "in1-undated-warn"} {
		data, err := os.ReadFile(filepath.Join(m.refs[v], part, "part-00000.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, data)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(m.refs["in1-undated"])); err != nil {
		t.Fatal(err)
	}
	for _, d := range dates {
		m.markCommitted([]string{"date=" + d})
	}
	b, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := &duck{db: db}
	ctx, stop := context.WithTimeout(context.Background(), 3*time.Second)
	defer stop()
	var replaced atomic.Int64
	done := make(chan error, 1)
	go func() {
		key := part + "/part-00000.parquet"
		for i := 1; ctx.Err() == nil; i++ {
			cur, err := b.Stat(ctx, key)
			if err == nil {
				data := versions[i%len(versions)]
				_, err = b.Put(ctx, key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{IfMatch: cur.ETag})
			}
			if err != nil && ctx.Err() == nil {
				done <- err
				return
			}
			replaced.Add(1)
		}
		done <- nil
	}()
	var reads int
	errs := map[string]int{}
	g := glob(dir, "parquet")
	for ctx.Err() == nil {
		for _, q := range []struct{ source, from string }{
			{"read_parquet", "read_parquet(" + g + ")"},
			{"read_parquet hive", "read_parquet(" + g + ", hive_partitioning = true)"},
		} {
			c, err := d.total(q.from)
			if err == nil {
				err = m.checkTotal(q.source, c, m.committedNow())
			}
			var ws wrongState
			switch {
			case errors.As(err, &ws):
				t.Errorf("%s: %v", q.source, err)
			case err != nil:
				errs[q.source+": "+firstLine(err.Error())]++
			}
			reads++
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A query that overlaps a replacement may fail (DuckDB opens the file
	// again by name after reading its footer); it never reads a wrong
	// total. docs/output.md says so; the failures are counted here.
	t.Logf("%d DuckDB reads while %s was replaced %d times", reads, part, replaced.Load())
	for _, e := range slices.Sorted(maps.Keys(errs)) {
		t.Logf("failed and would be retried, %d times: %s", errs[e], e)
	}
}
