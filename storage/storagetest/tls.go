package storagetest

import (
	"context"
	"crypto/tls"
)

// insecureTLS is for the health probe of a test server only.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec // test probe

func contextBackground() context.Context { return context.Background() }
