// Package isal inflates raw deflate data and checks a gzip trailer with
// Intel ISA-L's streaming isal_inflate, through cgo. It is built only with
// the build tag isal (and cgo); without it the package is empty. It owns no
// gzip header parsing and no member framing: features does both and hands
// it a member's deflate data. It lives apart from features because a
// package using cgo may not hold Go assembly, and features does.
package isal
