package storage

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config holds the settings of an S3-compatible store. The zero value talks
// to AWS S3 over TLS with credentials from the environment or IAM.
type S3Config struct {
	// Endpoint is host[:port], or a URL whose scheme picks http or https.
	// Empty means s3.amazonaws.com.
	Endpoint string
	Region   string
	// AccessKey and SecretKey are static credentials. When both are empty,
	// the AWS environment variables, the AWS credentials file and then IAM
	// (instance profile, ECS, or web identity as on EKS) are tried in turn.
	AccessKey string
	SecretKey string
	// Insecure uses plain http.
	Insecure bool
	// CAFile is a PEM bundle of extra roots to trust for TLS.
	CAFile string
	// MaxRetries bounds minio-go's retries of one request; 0 means its default.
	MaxRetries int
	// Timeout bounds the wait for a response's headers; 0 means 30s.
	Timeout time.Duration
}

// S3 stores objects in one bucket of an S3-compatible store.
type S3 struct {
	client   *minio.Client
	bucket   string
	endpoint string // http(s)://host[:port], for errors
	secure   bool
}

// NewS3 returns a store for bucket. It does not contact the server.
func NewS3(cfg S3Config, bucket string) (*S3, error) {
	endpoint, secure := cfg.Endpoint, !cfg.Insecure
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("s3 endpoint %q: want host[:port] or http(s)://host[:port]", endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	tr, err := transport(secure, cfg.CAFile, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{},
			&credentials.IAM{Client: &http.Client{Transport: tr}},
		})
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    deleteCondition{tr},
		MaxRetries:   cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client for %s: %w", endpoint, err)
	}
	scheme := "http://"
	if secure {
		scheme = "https://"
	}
	return &S3{client: client, bucket: bucket, endpoint: scheme + endpoint, secure: secure}, nil
}

func transport(secure bool, caFile string, timeout time.Duration) (*http.Transport, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // objects are read byte-exact, ranges must match
	}
	if secure {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, fmt.Errorf("read s3 CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("s3 CA file %s: no PEM certificates", caFile)
			}
			tr.TLSClientConfig.RootCAs = pool
		}
	}
	return tr, nil
}

// String returns the bucket's address, without credentials.
func (s *S3) String() string { return "s3://" + s.bucket }

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket if it does not exist. It is for tests and
// demos; jobs expect their buckets to exist.
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", s.bucket, s.s3Error(err))
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		if e := minio.ToErrorResponse(err); e.Code == "BucketAlreadyOwnedByYou" {
			return nil
		}
		return fmt.Errorf("create bucket %s: %w", s.bucket, s.s3Error(err))
	}
	return nil
}

// Endpoint returns the URL requests go to: http(s)://host[:port].
func (s *S3) Endpoint() string { return s.endpoint }

// Probe checks that the objects under prefix can be listed: the endpoint
// answers as configured, the credentials are accepted and the bucket
// exists. It lists one key at most (a policy may allow listing only under
// a prefix). A missing bucket is ErrNotExist, refused access
// ErrPermission, an endpoint that cannot be talked with an
// *EndpointError; each names the bucket and the endpoint.
func (s *S3) Probe(ctx context.Context, prefix string) error {
	if err := checkS3Key("list", s.bucket, prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // one page of one key is enough: stop minio's lister
	o, ok := <-s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, MaxKeys: 1})
	if !ok || o.Err == nil {
		return ctx.Err()
	}
	err := s.s3Error(o.Err)
	var ee *EndpointError
	switch {
	case errors.As(err, &ee):
		return fmt.Errorf("bucket %s: %w", s.bucket, err)
	case errors.Is(err, ErrNotExist):
		return &said{fmt.Sprintf("bucket %s does not exist at endpoint %s", s.bucket, s.endpoint), ErrNotExist}
	}
	return fmt.Errorf("list s3://%s/%s at endpoint %s: %w", s.bucket, prefix, s.endpoint, err)
}

// said is an error whose message says it all: it matches its sentinel
// without repeating the sentinel's words.
type said struct {
	msg string
	err error
}

func (e *said) Error() string { return e.msg }
func (e *said) Unwrap() error { return e.err }

// s3Error is s3Error, or an *EndpointError when err says the endpoint
// cannot be talked with at all.
func (s *S3) s3Error(err error) error {
	if err == nil {
		return nil
	}
	if ee := endpointError(s.endpoint, s.secure, err); ee != nil {
		return ee
	}
	return s3Error(err)
}

// s3KeyError is s3KeyError, or an *EndpointError as s3Error says.
func (s *S3) s3KeyError(err error, key string) error {
	if ee := endpointError(s.endpoint, s.secure, err); ee != nil {
		return ee
	}
	return s3KeyError(err, key)
}

// s3Error translates minio-go errors into this package's sentinels.
func s3Error(err error) error {
	if err == nil {
		return nil
	}
	e := minio.ToErrorResponse(err)
	switch e.Code {
	case "NoSuchKey", "NoSuchBucket", "NotFound":
		return fmt.Errorf("%w: %s", ErrNotExist, e.Message)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "InvalidToken", "ExpiredToken":
		return fmt.Errorf("%w: %s", ErrPermission, e.Message)
	case "PreconditionFailed", "ConditionalRequestConflict", "NoSuchUpload":
		// NoSuchUpload: an upload aborted (fenced off) or already completed.
		return fmt.Errorf("%w: %s", ErrPrecondition, e.Message)
	case "XMinioInvalidObjectName", "XMinioInvalidResourceName", "InvalidObjectName", "KeyTooLongError", "InvalidBucketName":
		// InvalidBucketName: minio-go refuses the name before sending.
		// MinIO refuses keys with empty, "." or ".." segments (a//b,
		// x/../y) or a NUL; AWS keys over 1024 bytes. Permanent.
		return fmt.Errorf("%w: %s", ErrInvalidKey, e.Message)
	}
	switch e.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("%w: %v", ErrNotExist, err)
	case http.StatusForbidden:
		return fmt.Errorf("%w: %v", ErrPermission, err)
	case http.StatusPreconditionFailed, http.StatusConflict:
		return fmt.Errorf("%w: %v", ErrPrecondition, err)
	}
	return err
}

// checkS3Key refuses, as ErrInvalidKey, a key (or prefix) that minio-go
// refuses before sending anything, with an error of no type: longer than
// 1024 bytes, or not valid UTF-8. Without this it would be retried. It
// refuses one starting with a slash too, which minio-go would quietly
// store or list under the key without it.
func checkS3Key(what, bucket, key string) error {
	switch {
	case strings.HasPrefix(key, "/"):
		// minio-go drops a leading slash: "/a" would be the object "a".
		return fmt.Errorf("%s s3://%s/%s: %w: starts with a slash", what, bucket, key, ErrInvalidKey)
	case len(key) > 1024:
		return fmt.Errorf("%s s3://%s/%.64s...: %w: longer than 1024 bytes", what, bucket, key, ErrInvalidKey)
	case !utf8.ValidString(key):
		return fmt.Errorf("%s s3://%s/%s: %w: not valid UTF-8", what, bucket, key, ErrInvalidKey)
	}
	return nil
}

// checkS3Object is checkS3Key for the key of one object, which cannot be
// empty.
func checkS3Object(what, bucket, key string) error {
	if key == "" {
		return fmt.Errorf("%s s3://%s/: %w: an empty key", what, bucket, ErrInvalidKey)
	}
	return checkS3Key(what, bucket, key)
}

// s3KeyError is s3Error for a request on key. MinIO answers a request for
// a key with an empty, "." or ".." segment (a//b, x/../y) with a bare 400,
// without its error code, when the request has no body to carry one (HEAD)
// or its router refuses the path (GET): then it is ErrInvalidKey too.
func s3KeyError(err error, key string) error {
	e := minio.ToErrorResponse(err)
	if e.StatusCode == http.StatusBadRequest && (e.Code == "" || e.Code == "400 Bad Request" || e.Code == "BadRequest") && badSegments(key) {
		return fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return s3Error(err)
}

// badSegments reports whether key has a segment MinIO refuses: empty
// (a//b), "." or "..", also with spaces around (a/ .. /b) or between
// backslashes (a\..\b), at which MinIO splits too.
func badSegments(key string) bool {
	for _, seg := range strings.Split(strings.TrimSuffix(strings.ReplaceAll(key, `\`, "/"), "/"), "/") {
		if seg = strings.TrimSpace(seg); seg == "" || seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// List calls fn for each object whose key starts with prefix, in key order.
// It stops at and returns the first error from fn. A key ending in '/' is
// an object like any other: an empty one is usually a folder marker a
// console made, and one with bytes holds data; the caller decides.
func (s *S3) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if err := checkS3Key("list", s.bucket, prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio's lister goroutine if we return early
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, s.s3Error(o.Err))
		}
		if err := fn(ObjectInfo{Key: o.Key, Size: o.Size, ETag: o.ETag, Modified: o.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// ReadAheadPays reports that reading an S3 object ahead of its consumer
// saves time: it overlaps network latency and transfer with decoding.
func (s *S3) ReadAheadPays() bool { return true }

// Stat returns the object's info, or an error wrapping ErrNotExist.
func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := checkS3Object("stat", s.bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	o, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat s3://%s/%s: %w", s.bucket, key, s.s3KeyError(err, key))
	}
	return ObjectInfo{Key: key, Size: o.Size, ETag: o.ETag, Modified: o.LastModified, VersionID: o.VersionID}, nil
}

// Open returns a stream of the object's bytes from offset on; an offset
// at or past the end gives an empty stream. The caller closes it. A
// missing object is reported here, not on the first read.
func (s *S3) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if err := checkS3Object("open", s.bucket, key); err != nil {
		return nil, err
	}
	var opts minio.GetObjectOptions
	if offset > 0 {
		if err := opts.SetRange(offset, 0); err != nil {
			return nil, fmt.Errorf("open s3://%s/%s at %d: %w", s.bucket, key, offset, err)
		}
	}
	o, err := s.client.GetObject(ctx, s.bucket, key, opts)
	if err == nil {
		_, err = o.Stat() // sends the request
	}
	if err != nil {
		if o != nil {
			o.Close()
		}
		if offset > 0 && minio.ToErrorResponse(err).Code == "InvalidRange" {
			// The object is there, and ends at or before offset.
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, fmt.Errorf("open s3://%s/%s: %w", s.bucket, key, s.s3KeyError(err, key))
	}
	return &s3Reader{o: o, name: "s3://" + s.bucket + "/" + key}, nil
}

// OpenListed returns a stream of the bytes [off, end) of the object as info
// (an entry of List, or Stat) describes it; end < 0, or past info.Size,
// means info.Size. The GET is conditional on info.ETag (If-Match), so an
// object replaced since it was listed is never read: that fails with
// ErrPrecondition, saying it changed since it was listed, and a deleted
// one with ErrNotExist. The caller closes the stream.
func (s *S3) OpenListed(ctx context.Context, info ObjectInfo, off, end int64) (io.ReadCloser, error) {
	key := info.Key
	if err := checkS3Object("open", s.bucket, key); err != nil {
		return nil, err
	}
	name := "s3://" + s.bucket + "/" + key
	if info.ETag == "" {
		return nil, fmt.Errorf("open %s: %w: listed without an ETag, so the version read cannot be pinned", name, ErrPrecondition)
	}
	if end < 0 || end > info.Size {
		end = info.Size
	}
	var opts minio.GetObjectOptions
	if err := opts.SetMatchETag(info.ETag); err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	if off >= end {
		// Nothing to read, but the version is checked all the same.
		so := minio.StatObjectOptions{}
		_ = so.SetMatchETag(info.ETag)
		if _, err := s.client.StatObject(ctx, s.bucket, key, so); err != nil {
			return nil, s.listedError(name, info, err)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	if off > 0 || end < info.Size {
		if err := opts.SetRange(off, end-1); err != nil {
			return nil, fmt.Errorf("open %s at %d: %w", name, off, err)
		}
	}
	o, err := s.client.GetObject(ctx, s.bucket, key, opts)
	if err == nil {
		_, err = o.Stat() // sends the request
	}
	if err != nil {
		if o != nil {
			o.Close()
		}
		return nil, s.listedError(name, info, err)
	}
	return &s3Reader{o: o, name: name}, nil
}

// listedError is the error of a read of the listed version info of name.
func (s *S3) listedError(name string, info ObjectInfo, err error) error {
	err = s.s3KeyError(err, info.Key)
	if errors.Is(err, ErrPrecondition) {
		return fmt.Errorf("open %s: changed since it was listed (listed etag %s): %w", name, info.ETag, err)
	}
	return fmt.Errorf("open %s: %w", name, err)
}

// s3Reader translates errors that surface while reading the body, such as
// the object being replaced between minio-go's requests.
type s3Reader struct {
	o    *minio.Object
	name string
}

func (r *s3Reader) Read(p []byte) (int, error) {
	n, err := r.o.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %w", r.name, s3Error(err))
	}
	return n, err
}

func (r *s3Reader) Close() error { return r.o.Close() }

// Put stores the size bytes read from r under key. The object appears whole
// or not at all. With opts.IfMatch or opts.IfNoneMatch the write is
// conditional and fails with ErrPrecondition when the condition does not
// hold. A body shorter or longer than size fails the write (see
// exactReader), as a cancelled ctx or a failing r does: nothing appears.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	if err := checkS3Object("put", s.bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	po := minio.PutObjectOptions{ContentType: opts.ContentType}
	if size < 0 {
		// minio-go buffers a part of an unknown size's upload whole, and
		// sizes it for 5 TiB (~537 MiB) unless told: parts of s3PartSize
		// hold objects up to 640 GiB.
		po.PartSize = s3PartSize
	}
	if opts.IfMatch != "" {
		po.SetMatchETag(opts.IfMatch)
	}
	if opts.IfNoneMatch {
		po.SetMatchETagExcept("*")
	}
	body := r
	var er *exactReader
	if l, ok := r.(interface{ Len() int }); ok && size >= 0 && atOffset(r) {
		// An in-memory body (bytes.Reader) says how many bytes it has
		// left: checked here, it goes to minio-go as a section from where
		// it stands (minio-go's multipart upload reads a ReaderAt from
		// offset 0), which keeps its parallel multipart upload and its
		// retries of a body it can rewind.
		if n := int64(l.Len()); n != size {
			return ObjectInfo{}, fmt.Errorf("put s3://%s/%s: %w: the body holds %d bytes, want %d", s.bucket, key, ErrSize, n, size)
		}
		if ra, ok := r.(io.ReaderAt); ok {
			pos, err := r.(io.Seeker).Seek(0, io.SeekCurrent)
			if err != nil {
				return ObjectInfo{}, fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, err)
			}
			body = io.NewSectionReader(ra, pos, size)
		}
	} else {
		er = newExactReader(ctx, r, size)
		if er.err != nil {
			return ObjectInfo{}, fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, er.err)
		}
		body = er
	}
	info, err := s.client.PutObject(ctx, s.bucket, key, body, size, po)
	if err == nil && er != nil {
		err = er.check()
	} else if err != nil && opts.IfMatch != "" && minio.ToErrorResponse(err).Code == "NoSuchKey" {
		// If-Match of a key with no object: the condition fails.
		err = fmt.Errorf("%w: no object to match etag %s", ErrPrecondition, opts.IfMatch)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, s.s3Error(err))
	}
	return ObjectInfo{Key: key, Size: info.Size, ETag: info.ETag, Modified: info.LastModified, VersionID: info.VersionID}, nil
}

// atOffset reports whether r, if it reads at offsets, also says where it
// stands: a ReaderAt that cannot Seek is read as a stream.
func atOffset(r io.Reader) bool {
	_, at := r.(io.ReaderAt)
	_, seeks := r.(io.Seeker)
	return !at || seeks
}

// s3PartSize is the part length of an upload's parts (the last may be
// shorter): over S3's 5 MiB minimum, far under its 5 GiB maximum.
const s3PartSize = 64 << 20

// Begin starts a multipart upload to key: no object appears until
// Complete. The upload's ID is S3's, unique to this write.
func (s *S3) Begin(ctx context.Context, key string) (Upload, error) {
	if err := checkS3Object("begin upload", s.bucket, key); err != nil {
		return Upload{}, err
	}
	id, err := minio.Core{Client: s.client}.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{})
	if err != nil {
		return Upload{}, fmt.Errorf("begin upload s3://%s/%s: %w", s.bucket, key, s.s3Error(err))
	}
	return Upload{Key: key, ID: id}, nil
}

// Complete writes the size bytes of r as u's parts and completes the
// upload: the object appears whole. An unknown size (< 0) fails with
// ErrSize. It fails with ErrPrecondition when u
// was aborted (or completed before: an answer lost).
func (s *S3) Complete(ctx context.Context, u Upload, r io.Reader, size int64) (ObjectInfo, error) {
	if size < 0 {
		return ObjectInfo{}, fmt.Errorf("complete upload s3://%s/%s: %w: the size must be known", s.bucket, u.Key, ErrSize)
	}
	core := minio.Core{Client: s.client}
	er := newExactReader(ctx, r, size)
	if er.err != nil {
		return ObjectInfo{}, fmt.Errorf("write upload s3://%s/%s: %w", s.bucket, u.Key, er.err)
	}
	r = er
	var parts []minio.CompletePart
	for n := 1; ; n++ {
		part := min(size-int64(n-1)*s3PartSize, s3PartSize)
		if part < 0 || (part == 0 && n > 1) {
			break
		}
		p, err := core.PutObjectPart(ctx, s.bucket, u.Key, u.ID, n, io.LimitReader(r, part), part, minio.PutObjectPartOptions{})
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("write upload s3://%s/%s part %d: %w", s.bucket, u.Key, n, s.s3Error(err))
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
		if part < s3PartSize {
			break
		}
	}
	if err := er.check(); err != nil {
		return ObjectInfo{}, fmt.Errorf("write upload s3://%s/%s: %w", s.bucket, u.Key, err)
	}
	info, err := core.CompleteMultipartUpload(ctx, s.bucket, u.Key, u.ID, parts, minio.PutObjectOptions{})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload s3://%s/%s: %w", s.bucket, u.Key, s.s3Error(err))
	}
	return ObjectInfo{Key: u.Key, Size: size, ETag: info.ETag, Modified: info.LastModified, VersionID: info.VersionID}, nil
}

// Abort ends u so that no Complete of it can land. Aborting an upload
// already aborted or completed is not an error.
func (s *S3) Abort(ctx context.Context, u Upload) error {
	err := minio.Core{Client: s.client}.AbortMultipartUpload(ctx, s.bucket, u.Key, u.ID)
	if err != nil && !errors.Is(s.s3Error(err), ErrPrecondition) && !errors.Is(s.s3Error(err), ErrNotExist) {
		return fmt.Errorf("abort upload s3://%s/%s: %w", s.bucket, u.Key, s.s3Error(err))
	}
	return nil
}
