package failure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// Every kind has the exit code its doc names (a contract with the
// Kubernetes pod failure policies), and a name.
func TestKindExitCodes(t *testing.T) {
	want := map[Kind]int{KindBug: 1, KindBadSetting: 2, KindHalt: 3, KindLostRace: 4, KindRetry: 5,
		KindFixAccess: 6, KindInterrupted: 130, KindNotReady: 5, KindFewerEvents: 5}
	for k := KindBug; k <= KindFewerEvents; k++ {
		code, ok := want[k]
		if !ok {
			t.Fatalf("kind %v: no exit code in the test", k)
		}
		err := New(k, errors.New("x"))
		if got := ExitCode(err); got != code {
			t.Errorf("%v: exit %d, want %d", k, got, code)
		}
		if got := ExitCode(fmt.Errorf("wrapped: %w", err)); got != code {
			t.Errorf("%v wrapped: exit %d, want %d", k, got, code)
		}
		if strings.HasPrefix(k.String(), "kind ") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if ExitCode(nil) != ExitOK {
		t.Error("nil is not exit 0")
	}
	if got := Kind(99).String(); got != "kind 99" {
		t.Errorf("an unknown kind is %q", got)
	}
}

// Errors no one marked are sorted by what they wrap, whatever wraps
// them; what says the setting is wrong wins over a mark, as KindOf says.
func TestKindOf(t *testing.T) {
	w := func(err error) error { return fmt.Errorf("read s3://b/k: %w", err) }
	for _, c := range []struct {
		name string
		err  error
		want Kind
	}{
		{"plain error", errors.New("boom"), KindBug},
		{"not a regular file", w(storage.ErrNotRegular), KindHalt},
		{"invalid key", w(storage.ErrInvalidKey), KindBadSetting},
		{"misconfigured endpoint", w(&storage.EndpointError{Problem: storage.Certificate, Err: io.EOF}), KindBadSetting},
		{"misconfigured, marked retry", New(KindRetry, w(&storage.EndpointError{Problem: storage.Region, Err: io.EOF})), KindBadSetting},
		{"config error", w(&settings.ConfigError{Env: "LOGSMITH_WORKERS", Flag: "workers", Err: io.EOF}), KindBadSetting},
		{"cancelled", w(context.Canceled), KindInterrupted},
		{"deadline of a storage call", w(context.DeadlineExceeded), KindRetry},
		{"cancelled and past a deadline", errors.Join(context.Canceled, context.DeadlineExceeded), KindInterrupted},
		{"permission", w(storage.ErrPermission), KindFixAccess},
		{"not exist", w(storage.ErrNotExist), KindRetry},
		{"precondition", w(storage.ErrPrecondition), KindRetry},
		{"marked halt over not exist", New(KindHalt, w(storage.ErrNotExist)), KindHalt},
		{"marked, wrapped", w(New(KindLostRace, io.EOF)), KindLostRace},
	} {
		if got := KindOf(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// Storage marks what the store did: access refused is to fix, too many
// objects a halt, an endpoint that cannot be talked with names its
// setting, and anything else, a storage call that ran out of time
// included, is retried. Only a cancellation stays as it is.
func TestStorage(t *testing.T) {
	if Storage(nil) != nil {
		t.Fatal("Storage(nil) is not nil")
	}
	for _, c := range []struct {
		name string
		err  error
		want Kind
		hint string
	}{
		{"cancelled", context.Canceled, KindInterrupted, ""},
		{"deadline", fmt.Errorf("publish: %w", context.DeadlineExceeded), KindRetry, ""},
		{"permission", storage.ErrPermission, KindFixAccess, ""},
		{"too many objects", table.ErrManifestTooLarge, KindHalt, ""},
		{"unreachable", &storage.EndpointError{Problem: storage.Unreachable, Err: io.EOF}, KindRetry, "LOGSMITH_S3_ENDPOINT"},
		{"plain http", &storage.EndpointError{Problem: storage.PlainHTTP, Err: io.EOF}, KindBadSetting, "LOGSMITH_S3_INSECURE"},
		{"certificate", &storage.EndpointError{Problem: storage.Certificate, Err: io.EOF}, KindBadSetting, "LOGSMITH_S3_CA_FILE"},
		{"region", &storage.EndpointError{Problem: storage.Region, Err: io.EOF}, KindBadSetting, "LOGSMITH_S3_REGION"},
		{"anything else", io.ErrUnexpectedEOF, KindRetry, ""},
	} {
		err := Storage(c.err)
		if got := KindOf(err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if !errors.Is(err, c.err) {
			t.Errorf("%s: %v no longer wraps %v", c.name, err, c.err)
		}
		if c.hint != "" && !strings.Contains(err.Error(), c.hint) {
			t.Errorf("%s: %q does not name %s", c.name, err, c.hint)
		}
	}
}
