package failure

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// Kind sorts a run's failure by what its caller (an operator, a
// scheduler, a backfill) should do about it, as Thanos sorts a compactor's
// errors into retry and halt. Several kinds share an exit code: what a
// scheduler does is the same, what a person reads is not.
type Kind int

// Failure kinds, each with what to do; see ExitCode for their exit codes.
const (
	// KindBug is a bug or an unexpected failure: report it (exit 1, which
	// schedulers retry).
	KindBug Kind = iota
	// KindBadSetting is a bad setting, or a run that would change what
	// committed rows mean: fix the config; no retry can help (exit 2).
	KindBadSetting
	// KindHalt is input too broken to commit: someone must look at it;
	// a retry gives the same (exit 3).
	KindHalt
	// KindLostRace is another command that committed one of the run's
	// partitions after it started: nothing to do, its commit stands
	// (exit 4).
	KindLostRace
	// KindRetry is a failure of the store or the catalog: retry, at the
	// next run at the latest (exit 5).
	KindRetry
	// KindFixAccess is credentials or permissions the store refused, or
	// an output that cannot be written: fix them (exit 6).
	KindFixAccess
	// KindInterrupted is a run cancelled by a signal: rerun it (exit
	// 130).
	KindInterrupted
	// KindNotReady is input that is not there yet: no input objects, no
	// event of the date, a shard no map pod has written. Retry once it
	// has arrived (exit 5, as KindRetry: a scheduler retries both).
	KindNotReady
	// KindFewerEvents is a run that would replace a committed partition
	// with one holding fewer events (or none): wait for the missing input,
	// or rerun with --allow-fewer-events (--allow-empty) when it is gone
	// for good (exit 5, as KindRetry).
	KindFewerEvents
)

var kindNames = map[Kind]string{KindBug: "internal", KindBadSetting: "config", KindHalt: "bad data", KindLostRace: "lost race",
	KindRetry: "storage", KindFixAccess: "access", KindInterrupted: "interrupted", KindNotReady: "no input yet", KindFewerEvents: "fewer events"}

// String names the kind as a backfill's error does: "storage", "no input
// yet", "fewer events", "bad data", ….
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "kind " + strconv.Itoa(int(k))
}

// Exit codes of the logsmith binary, by failure kind. These are a contract
// with schedulers (the Kubernetes pod failure policy names them).
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitConfig      = 2
	ExitBadData     = 3
	ExitLostRace    = 4
	ExitStorage     = 5
	ExitAccess      = 6
	ExitInterrupted = 130
)

// New marks err as a failure of kind k (see KindOf).
func New(k Kind, err error) error { return &kindError{k, err} }

// Marked says whether err carries a kind New gave it.
func Marked(err error) bool {
	var ke *kindError
	return errors.As(err, &ke)
}

type kindError struct {
	kind Kind
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// KindOf classifies err.
func KindOf(err error) Kind {
	var ke *kindError
	var ce *settings.ConfigError
	switch {
	case errors.Is(err, storage.ErrNotRegular):
		// A local input holds a symlink or another file that is not a
		// regular file: look at the input; the store did not fail.
		return KindHalt
	case errors.Is(err, storage.ErrInvalidKey):
		// The store refuses a key the input or output URL makes (MinIO:
		// s3://b/a//b, s3://b/x/../y): the URL is a bad setting, and no
		// retry or later run can help.
		return KindBadSetting
	case errors.Is(err, storage.ErrMisconfigured):
		// The endpoint answers otherwise than the settings say (http vs
		// https, an untrusted certificate, another region): a setting to
		// fix, whatever the store said.
		return KindBadSetting
	case errors.As(err, &ke):
		return ke.kind
	case errors.As(err, &ce):
		return KindBadSetting
	case errors.Is(err, context.Canceled):
		return KindInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		// Every deadline a command sets bounds calls to the store or the
		// catalog (a publish or an Iceberg commit that goes on after a
		// cancellation, gc putting a manifest back): they did not answer
		// in time, which a later run may well see them do.
		return KindRetry
	case errors.Is(err, storage.ErrPermission):
		return KindFixAccess
	case errors.Is(err, storage.ErrNotExist),
		errors.Is(err, storage.ErrPrecondition):
		return KindRetry
	}
	return KindBug
}

// ExitCode maps err to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch KindOf(err) {
	case KindBadSetting:
		return ExitConfig
	case KindHalt:
		return ExitBadData
	case KindLostRace:
		return ExitLostRace
	case KindRetry, KindNotReady, KindFewerEvents:
		return ExitStorage
	case KindFixAccess:
		return ExitAccess
	case KindInterrupted:
		return ExitInterrupted
	}
	return ExitInternal
}

// endpointHint says which setting to check for an S3 endpoint that cannot
// be talked with, or "".
func endpointHint(err error) string {
	var ee *storage.EndpointError
	if !errors.As(err, &ee) {
		return ""
	}
	switch ee.Problem {
	case storage.Unreachable:
		return "check LOGSMITH_S3_ENDPOINT (--s3-endpoint): is the address right and the server up?"
	case storage.PlainHTTP:
		return "the endpoint speaks plain http: set LOGSMITH_S3_INSECURE=true (--s3-insecure) or give an http:// endpoint"
	case storage.TLSOnly:
		return "the endpoint speaks https: unset LOGSMITH_S3_INSECURE (--s3-insecure) or give an https:// endpoint"
	case storage.Certificate:
		return "trust its certificate's CA with LOGSMITH_S3_CA_FILE (--s3-ca-file)"
	case storage.Region:
		return "check LOGSMITH_S3_REGION (--s3-region)"
	}
	return ""
}

// Storage marks err, an error of the store, as a storage failure: access
// refused (KindFixAccess) or anything else the store did (KindRetry), a
// call that ran out of time included, with the setting to check for an
// endpoint that cannot be talked with. Cancellation stays as it is.
func Storage(err error) error {
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		return err
	case endpointHint(err) != "":
		err = fmt.Errorf("%w; %s", err, endpointHint(err))
	case errors.Is(err, storage.ErrPermission):
		return &kindError{KindFixAccess, err}
	case errors.Is(err, table.ErrManifestTooLarge):
		// Too many input objects for one date: no retry can help.
		return &kindError{KindHalt, err}
	}
	return &kindError{KindRetry, err}
}
