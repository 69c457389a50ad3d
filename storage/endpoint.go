package storage

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/minio/minio-go/v7"
)

// Sentinels of an endpoint that cannot be talked with at all, as opposed to
// one request it refuses; an [EndpointError] is one of them.
var (
	// ErrUnreachable means no server answered at the endpoint: its name
	// does not resolve, or nothing listens at its address. A server that
	// restarts is unreachable for a while, so it may heal; one never
	// reached since the process started usually will not.
	ErrUnreachable = errors.New("endpoint unreachable")
	// ErrMisconfigured means a server answered, but not as configured:
	// plain http where TLS was asked for or the other way round, a
	// certificate not trusted, another region. Retrying cannot help.
	ErrMisconfigured = errors.New("endpoint not as configured")
)

// Problem says what is wrong with an endpoint (see EndpointError).
type Problem int

// The problems an EndpointError reports.
const (
	// Unreachable: the name does not resolve, or nothing listens there.
	Unreachable Problem = iota
	// PlainHTTP: an https request was answered in plain http.
	PlainHTTP
	// TLSOnly: a plain http request met a server that speaks TLS.
	TLSOnly
	// Certificate: the server's TLS certificate is not trusted.
	Certificate
	// Region: the bucket is in another region than the one signed for.
	Region
)

// EndpointError is a failure to talk with an S3 endpoint at all: its
// Problem says which, errors.Is matches ErrUnreachable for Unreachable and
// ErrMisconfigured for the others.
type EndpointError struct {
	Endpoint string // the URL requests go to: http(s)://host[:port]
	Problem  Problem
	Err      error
}

func (e *EndpointError) Error() string {
	var what string
	switch e.Problem {
	case Unreachable:
		what = "unreachable"
	case PlainHTTP:
		what = "answers in plain http, not https"
	case TLSOnly:
		what = "speaks https (TLS), not plain http"
	case Certificate:
		what = "has a TLS certificate that is not trusted"
	case Region:
		what = "holds the bucket in another region"
	}
	return fmt.Sprintf("s3 endpoint %s %s: %v", e.Endpoint, what, e.Err)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// Is matches the sentinel of e's problem.
func (e *EndpointError) Is(target error) bool {
	if e.Problem == Unreachable {
		return target == ErrUnreachable
	}
	return target == ErrMisconfigured
}

// endpointError returns err as an *EndpointError when it says the endpoint
// (endpoint, reached by plain http unless secure) cannot be talked with,
// and nil otherwise.
func endpointError(endpoint string, secure bool, err error) error {
	p, ok := endpointProblem(secure, err)
	if !ok {
		return nil
	}
	return &EndpointError{Endpoint: endpoint, Problem: p, Err: bareCause(err)}
}

func endpointProblem(secure bool, err error) (Problem, bool) {
	var dns *net.DNSError
	var rec tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return Unreachable, true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Unreachable, true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"), errors.As(err, &rec):
		// net/http's words for a plain http answer to a TLS handshake
		// (it drops the RecordHeaderError it found).
		return PlainHTTP, true
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return Certificate, true
	}
	e := minio.ToErrorResponse(err)
	switch {
	case !secure && e.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "https"):
		// Go's TLS servers ("Client sent an HTTP request to an HTTPS
		// server."), nginx ("The plain HTTP request was sent to HTTPS
		// port") and others answer a plain request on a TLS port so.
		return TLSOnly, true
	case e.Code == "AuthorizationHeaderMalformed" && strings.Contains(e.Message, "region"),
		e.Code == "PermanentRedirect", e.Code == "IllegalLocationConstraintException", e.Code == "InvalidRegion":
		return Region, true
	}
	return 0, false
}

// bareCause drops net/http's "Get URL: " wrapping, which repeats the
// endpoint and shows a query string.
func bareCause(err error) error {
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return dns
	case errors.As(err, &op):
		return op
	}
	if s := err.Error(); strings.HasPrefix(s, "Get \"") || strings.HasPrefix(s, "Head \"") || strings.HasPrefix(s, "Put \"") {
		if _, rest, ok := strings.Cut(s, "\": "); ok {
			return errors.New(rest)
		}
	}
	return err
}
