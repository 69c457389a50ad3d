// Package objio makes object I/O reliable and fast on top of a storage
// backend, in the spirit of restic's backend/retry: a [Bucket] decorator,
// chosen once where a store is opened, retries every call that fails
// transiently; a [Stream] reads one object as it was listed and resumes at
// the byte it reached after a network fault; a [ReadAhead] and a
// [Prefetcher] overlap storage latency with decoding.
//
// # Retries
//
// A call is retried with jittered exponential backoff until it succeeds,
// fails permanently ([Permanent]: not found, refused, a failed condition, an
// invalid key, an endpoint not as configured, cancellation) or the policy's
// deadline passes, measured from the first failure. An unreachable endpoint
// is permanent until the bucket's server has answered once: a wrong
// endpoint fails its first call at once, a server restarting mid-run is
// waited for. [Policy.OnRetry] hears of every retry as it happens. The error a caller sees is the backend's, which names
// the operation and the object, followed by how long it was retried; callers
// do not wrap it again with the same words.
//
// [Policy.Do] retries a sequence of calls as one (read a manifest: stat,
// open, read); the bucket's own calls inside it are then made once each, so
// retries never nest.
//
// # Who closes what
//
// A [Bucket] holds no resources of its own: the backend's clients live as
// long as the process. The reader returned by [Bucket.Open] and every
// [Stream] and [ReadAhead] are closed by whoever opened them; closing a
// ReadAhead stops its goroutine but not its source, which its opener closes
// after it.
//
// It does not know about logs, tables or settings.
package objio
