package docs_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/logsmith/logsmith/internal/testbin"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// The doc-run test: every fenced shell block (sh, bash, shell, console) and
// SQL block of README.md and docs/*.md runs, in order, file by file, each
// file in a scratch folder of its own, as a reader following that page
// would run it:
//
//   - shell blocks with bash under set -euo pipefail, logsmith (as
//     logsmith and, after the page's go build, bin/logsmith) built once
//     from this tree, the repository's scripts/ and testdata/ beside, and
//     LOGSMITH_S3_* naming a fresh MinIO of the page's own; a block's
//     scripts/minio.sh start starts one more on a free port, as on a
//     reader's machine. go build of ./cmd/logsmith copies the binary the
//     test built (the scratch folder holds no source); any other go
//     command fails the block;
//   - SQL blocks with DuckDB (github.com/duckdb/duckdb-go) over the files
//     the page's shell blocks wrote: DuckDB's httpfs extension installs
//     from the internet, which CI does not reach, so the test copies each
//     bucket the block names (s3://NAME/) into the folder s3/NAME of the
//     scratch folder and reads s3/NAME there instead; a SELECT must return
//     a row.
//
// A block that cannot run here carries a marker on the line right before
// it, visible in the Markdown source, with the reason:
//
//	<!-- docrun: skip — needs a Kubernetes cluster -->
//	<!-- docrun: no-input — reads your nginx logs -->
//
// The page's MinIO has every bucket its blocks name, as an operator's store
// has (README.md and usage.md create theirs on a MinIO of their own, with
// logsmith generate, as they say). The docs' placeholder $PG, a catalog URL,
// is a SQLite catalog in the scratch folder.
//
// skip: the block is listed, not run. no-input: the block runs against
// empty buckets; a logsmith command that
// exits 5 with "no input objects" passes, so every setting and flag is
// still checked (a bad one exits 2 before any I/O) but not the output.
// Python blocks cannot run here (pandas, pyarrow, Polars, Spark, pyiceberg
// and Ray are not installable: CI reaches only the Go proxy and Debian) and
// must carry a skip marker. An untagged block whose lines are logsmith
// commands is refused: tag it sh, or console for a transcript whose
// commands start with "$ ".

// logsmithBin is the logsmith binary built from this tree.
var logsmithBin string

func TestMain(m *testing.M) {
	testbin.Main(m, &logsmithBin, "../cmd/logsmith", "-ldflags", "-X main.version=v0.0.0-docrun")
}

// block is one fenced block of a Markdown file.
type block struct {
	file   string
	line   int // of the opening fence, 1-based
	lang   string
	body   string
	marker string // "", "skip" or "no-input"
	reason string
}

func (b block) String() string { return fmt.Sprintf("%s:%d (%s)", b.file, b.line, b.lang) }

var (
	fenceRE  = regexp.MustCompile("^([ \t]*)(```+|~~~+)[ \t]*([^ \t`]*)")
	markerRE = regexp.MustCompile(`^<!--\s*docrun:\s*([a-z-]+)\s*(?:—|--|-|:)?\s*(.*?)\s*-->$`)
	// commandRE matches a line that runs logsmith, as an untagged block
	// must not hold.
	commandRE = regexp.MustCompile(`^(\$ )?(bin/)?logsmith [a-z]`)
)

var shellLangs = []string{"sh", "bash", "shell", "console"}

// parseBlocks returns the fenced blocks of a Markdown file with their
// markers, and refuses a marker that is not right before a block, an
// unknown or unreasoned marker, an unclosed fence and an untagged block of
// logsmith commands.
func parseBlocks(file string, data []byte) ([]block, error) {
	lines := strings.Split(string(data), "\n")
	var out []block
	var pending *block // the marker waiting for its block
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if m := markerRE.FindStringSubmatch(trimmed); m != nil {
			if pending != nil {
				return nil, fmt.Errorf("%s:%d: docrun marker is not right before a block", file, pending.line)
			}
			if m[1] != "skip" && m[1] != "no-input" {
				return nil, fmt.Errorf("%s:%d: docrun marker %q: want skip or no-input", file, i+1, m[1])
			}
			if m[2] == "" {
				return nil, fmt.Errorf("%s:%d: docrun marker %s gives no reason", file, i+1, m[1])
			}
			pending = &block{line: i + 1, marker: m[1], reason: m[2]}
			continue
		}
		fm := fenceRE.FindStringSubmatch(lines[i])
		if fm == nil {
			if trimmed != "" && pending != nil {
				return nil, fmt.Errorf("%s:%d: docrun marker is not right before a block", file, pending.line)
			}
			continue
		}
		indent, fence, lang := fm[1], fm[2], strings.ToLower(fm[3])
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			t := strings.TrimSpace(lines[j])
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				break
			}
			body = append(body, strings.TrimPrefix(lines[j], indent))
		}
		if j == len(lines) {
			return nil, fmt.Errorf("%s:%d: fence never closed", file, i+1)
		}
		b := block{file: file, line: i + 1, lang: lang, body: strings.Join(body, "\n") + "\n"}
		if pending != nil {
			b.marker, b.reason = pending.marker, pending.reason
			pending = nil
		}
		if lang == "" {
			for k, l := range body {
				if commandRE.MatchString(strings.TrimSpace(l)) {
					return nil, fmt.Errorf("%s:%d: an untagged block runs logsmith (line %d): tag it sh, or console for a transcript", file, i+1, i+2+k)
				}
			}
		}
		out = append(out, b)
		i = j
	}
	if pending != nil {
		return nil, fmt.Errorf("%s:%d: docrun marker is not right before a block", file, pending.line)
	}
	return out, nil
}

// docFiles are the Markdown files whose blocks run, in order.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return append([]string{"../README.md"}, files...)
}

// prelude starts every shell block.
const prelude = `set -euo pipefail
# A block that started its own MinIO and failed before stopping it.
trap 'if [[ -f $LOGSMITH_MINIO_STATE/pid ]]; then scripts/minio.sh stop >/dev/null 2>&1 || true; fi' EXIT
go() {
	if [[ ${1:-} == build ]]; then
		local a prev="" out=""
		for a in "$@"; do
			[[ $prev == -o ]] && out=$a
			prev=$a
		done
		if [[ -n $out && " $* " == *" ./cmd/logsmith "* ]]; then
			mkdir -p "$(dirname "$out")"
			cp "$DOCRUN_LOGSMITH" "$out"
			echo "docrun: go $*: the logsmith the test built from this tree" >&2
			return 0
		fi
	fi
	echo "docrun: go $*: not run by the doc-run test" >&2
	return 1
}
`

// noInput wraps logsmith in a no-input block.
const noInput = `logsmith() {
	local err rc=0
	err=$(mktemp)
	command logsmith "$@" 2>"$err" || rc=$?
	cat "$err" >&2
	if [[ $rc == 5 ]] && grep -q 'no input objects' "$err"; then
		echo "docrun: no input here (exit 5): the settings were accepted" >&2
		rc=0
	fi
	rm -f "$err"
	return $rc
}
`

// page is the scratch state of one Markdown file's run.
type page struct {
	t     *testing.T
	dir   string
	env   []string
	s3    *storage.S3Config
	minio *minio.Client
}

func TestDocsRun(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "zcat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the docs' shell blocks", tool)
		}
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bindir := t.TempDir()
	if err := os.Symlink(logsmithBin, filepath.Join(bindir, "logsmith")); err != nil {
		t.Fatal(err)
	}
	var skipped []string
	ran := 0
	for _, file := range docFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(file, "../")
		if name == file {
			name = "docs/" + file
		}
		blocks, err := parseBlocks(name, data)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			p := newPage(t, repo, bindir, blocks)
			for _, b := range blocks {
				switch {
				case b.marker == "skip":
					skipped = append(skipped, fmt.Sprintf("%s: %s", b, b.reason))
					t.Logf("%s: skipped: %s", b, b.reason)
				case slices.Contains(shellLangs, b.lang):
					p.shell(b)
					ran++
				case b.lang == "sql":
					p.sql(b)
					ran++
				case b.lang == "python":
					t.Errorf("%s: a Python block cannot run here (pandas, pyarrow, Polars, Spark, pyiceberg and Ray are not installable): mark it <!-- docrun: skip — reason -->", b)
				}
			}
		})
	}
	if ran == 0 {
		t.Fatal("no doc block ran")
	}
	t.Logf("%d blocks ran; %d skipped:\n  %s", ran, len(skipped), strings.Join(skipped, "\n  "))
}

// newPage makes the scratch folder and environment of one file's blocks,
// and its MinIO when a block that runs names s3://.
func newPage(t *testing.T, repo, bindir string, blocks []block) *page {
	dir := t.TempDir()
	for _, l := range []string{"scripts", "testdata"} {
		if err := os.Symlink(filepath.Join(repo, l), filepath.Join(dir, l)); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(dir, ".home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, dir: dir, env: []string{
		"PATH=" + bindir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"DOCRUN_LOGSMITH=" + logsmithBin,
		// scripts/minio.sh in a block: its own server, on a free port.
		"LOGSMITH_MINIO_PORT=" + strconv.Itoa(freePortPair(t)),
		"LOGSMITH_MINIO_STATE=" + filepath.Join(dir, ".minio-state"),
		"PG=sqlite://" + filepath.Join(dir, "catalog.db"),
	}}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		p.env = append(p.env, "TMPDIR="+tmp)
	}
	if bin := os.Getenv("LOGSMITH_MINIO_BIN"); bin != "" {
		// scripts/minio.sh finds the MinIO scripts/test.sh installed.
		p.env = append(p.env, "LOGSMITH_MINIO_BIN="+bin, "LOGSMITH_CACHE="+filepath.Dir(filepath.Dir(bin)))
	}
	needsS3 := false
	for _, b := range blocks {
		if b.marker != "skip" && strings.Contains(b.body, "s3://") {
			needsS3 = true
		}
	}
	if needsS3 {
		m := storagetest.StartMinIO(t, storagetest.MinIOOptions{})
		c := m.Config()
		p.s3 = &c
		p.env = append(p.env, "LOGSMITH_S3_ENDPOINT="+c.Endpoint, "LOGSMITH_S3_INSECURE=true", "LOGSMITH_S3_REGION="+c.Region,
			"LOGSMITH_S3_ACCESS_KEY="+c.AccessKey, "LOGSMITH_S3_SECRET_KEY="+c.SecretKey)
		cl, err := minio.New(c.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: false, Region: c.Region})
		if err != nil {
			t.Fatal(err)
		}
		p.minio = cl
		// The page's store has the buckets it names, as an operator's has.
		for _, b := range blocks {
			if b.marker == "skip" {
				continue
			}
			for _, name := range buckets(b.body) {
				p.makeBucket(name)
			}
		}
	}
	return p
}

// makeBucket creates a bucket on the page's MinIO unless it is there.
func (p *page) makeBucket(name string) {
	err := p.minio.MakeBucket(context.Background(), name, minio.MakeBucketOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
		p.t.Fatalf("create bucket %s: %v", name, err)
	}
}

// freePortPair returns a port that, with the next one (MinIO's console),
// nothing listens on now.
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
		l.Close()
		if err == nil {
			l2.Close()
			return port
		}
	}
	t.Fatal("no two free ports in a row")
	return 0
}

var bucketRE = regexp.MustCompile(`s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/`)

// buckets are the buckets text names.
func buckets(text string) []string {
	var out []string
	for _, m := range bucketRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// shell runs a shell block; a failure names the block's file and line.
func (p *page) shell(b block) {
	t := p.t
	script := b.body
	if b.lang == "console" {
		var cmds []string
		for _, l := range strings.Split(b.body, "\n") {
			if c, ok := strings.CutPrefix(l, "$ "); ok {
				cmds = append(cmds, c)
			}
		}
		script = strings.Join(cmds, "\n") + "\n"
	}
	head := prelude
	if b.marker == "no-input" {
		head += noInput
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a stuck block, not a threshold
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", head+script)
	cmd.Dir, cmd.Env = p.dir, p.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		t.Errorf("%s: block failed: %v\n%s\n--- output:\n%s", b, err, script, tail(out.String(), 4000))
		return
	}
	what := "ran"
	if b.marker == "no-input" {
		what = "ran on empty buckets (" + b.reason + ")"
	}
	t.Logf("%s: %s", b, what)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// sql runs a SQL block with DuckDB over the page's files, each bucket it
// names copied to s3/NAME in the scratch folder.
func (p *page) sql(b block) {
	t := p.t
	text := b.body
	names := buckets(text)
	if len(names) > 0 {
		if p.s3 == nil {
			t.Errorf("%s: names s3:// but no block of the page wrote to MinIO", b)
			return
		}
		root := filepath.Join(p.dir, "s3")
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if err := p.mirror(name, filepath.Join(root, name)); err != nil {
				t.Errorf("%s: copy bucket %s: %v", b, name, err)
				return
			}
		}
		text = strings.ReplaceAll(text, "s3://", "s3/")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // SET VARIABLE belongs to one connection
	if _, err := db.Exec("SET file_search_path = " + sqlString(p.dir)); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range splitSQL(text) {
		rows, err := db.Query(stmt)
		if err != nil {
			t.Errorf("%s: %v\n%s", b, err, stmt)
			return
		}
		n := 0
		for rows.Next() {
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			t.Errorf("%s: %v\n%s", b, err, stmt)
			return
		}
		if n == 0 && strings.HasPrefix(strings.ToUpper(stmt), "SELECT") {
			t.Errorf("%s: returned no row:\n%s", b, stmt)
			return
		}
		t.Logf("%s: %d rows: %s", b, n, firstLine(stmt))
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// splitSQL splits text into statements at the semicolons outside quotes,
// dropping -- comments.
func splitSQL(text string) []string {
	var out []string
	var cur strings.Builder
	quote := rune(0)
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '-' && i+1 < len(rs) && rs[i+1] == '-':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			cur.WriteRune('\n')
			continue
		case c == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteRune(c)
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// mirror copies every object of a bucket of the page's MinIO to dir.
func (p *page) mirror(bucket, dir string) error {
	ctx := context.Background()
	st, err := storage.NewS3(*p.s3, bucket)
	if err != nil {
		return err
	}
	return st.List(ctx, "", func(o storage.ObjectInfo) error {
		path := filepath.Join(dir, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		rc, err := st.Open(ctx, o.Key, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, rc); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// The parser finds every block with its line and marker, and refuses what
// would let a block go unrun unnoticed.
func TestParseBlocks(t *testing.T) {
	good := "text\n\n<!-- docrun: skip — needs a cluster -->\n```sh\nkubectl apply\n```\n\n1. item\n\n   ```bash\n   logsmith ls --output x\n   ```\n```sql\nSELECT 1;\n```\n"
	bs, err := parseBlocks("f.md", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []block{
		{file: "f.md", line: 4, lang: "sh", body: "kubectl apply\n", marker: "skip", reason: "needs a cluster"},
		{file: "f.md", line: 10, lang: "bash", body: "logsmith ls --output x\n"},
		{file: "f.md", line: 13, lang: "sql", body: "SELECT 1;\n"},
	}
	if !slices.Equal(bs, want) {
		t.Errorf("blocks\n%+v\nwant\n%+v", bs, want)
	}
	for name, bad := range map[string]string{
		"marker before text":  "<!-- docrun: skip — x -->\ntext\n```sh\nls\n```\n",
		"marker at the end":   "```sh\nls\n```\n<!-- docrun: skip — x -->\n",
		"unknown marker":      "<!-- docrun: ignore — x -->\n```sh\nls\n```\n",
		"marker, no reason":   "<!-- docrun: skip -->\n```sh\nls\n```\n",
		"unclosed fence":      "```sh\nls\n",
		"untagged commands":   "```\nlogsmith run --input x\n```\n",
		"untagged transcript": "```\n$ logsmith pin --output x\nTABLE\n```\n",
	} {
		if _, err := parseBlocks("f.md", []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := splitSQL("SET x = 1; -- a; comment\nSELECT ';' AS a;\n\nSELECT 2"); len(got) != 3 || got[1] != "SELECT ';' AS a" {
		t.Errorf("splitSQL: %q", got)
	}
}
