package job

import (
	"context"
	"errors"

	"github.com/logsmith/logsmith/storage"
)

// Kind sorts a run's failure into what an operator or scheduler should do.
type Kind int

// Failure kinds. Each has its own exit code; see ExitCode.
const (
	KindInternal    Kind = iota // a bug or an unexpected failure
	KindConfig                  // a bad setting: fix the config, do not retry
	KindBadData                 // the input is too broken: look at it, do not retry
	KindLostRace                // another run committed the same partition
	KindStorage                 // the store failed: retry later
	KindAccess                  // the store refused our credentials or access: fix them
	KindInterrupted             // cancelled by a signal
)

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

type kindError struct {
	kind Kind
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// KindOf classifies err.
func KindOf(err error) Kind {
	var ke *kindError
	var ce *ConfigError
	switch {
	case errors.Is(err, storage.ErrNotRegular):
		// A local input holds a symlink or another file that is not a
		// regular file: look at the input; the store did not fail.
		return KindBadData
	case errors.Is(err, storage.ErrInvalidKey):
		// The store refuses a key the input or output URL makes (MinIO:
		// s3://b/a//b, s3://b/x/../y): the URL is a bad setting, and no
		// retry or later run can help.
		return KindConfig
	case errors.Is(err, storage.ErrMisconfigured):
		// The endpoint answers otherwise than the settings say (http vs
		// https, an untrusted certificate, another region): a setting to
		// fix, whatever the store said.
		return KindConfig
	case errors.As(err, &ke):
		return ke.kind
	case errors.As(err, &ce):
		return KindConfig
	case errors.Is(err, context.Canceled):
		return KindInterrupted
	case errors.Is(err, storage.ErrPermission):
		return KindAccess
	case errors.Is(err, storage.ErrNotExist),
		errors.Is(err, storage.ErrPrecondition):
		return KindStorage
	}
	return KindInternal
}

// ExitCode maps err to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch KindOf(err) {
	case KindConfig:
		return ExitConfig
	case KindBadData:
		return ExitBadData
	case KindLostRace:
		return ExitLostRace
	case KindStorage:
		return ExitStorage
	case KindAccess:
		return ExitAccess
	case KindInterrupted:
		return ExitInterrupted
	}
	return ExitInternal
}

// StorageError classifies an error of the store: access refused or any
// other failure, for commands outside a run.
func StorageError(err error) error { return storageErr(err) }
