// Package archtest holds only tests: they keep docs/architecture.md true
// and the code's shape in check. They compare the import graph of this
// module's packages with the arrows the document allows (both ways: no
// import it does not list, no arrow the code no longer has), its package
// table with the packages `go list ./...` finds, its claim of which
// packages are linked into the logsmith binary with what cmd/logsmith
// actually reaches, and every file, package, identifier and `go test`
// command its text names with the code. They also hold every non-test file
// to 600 lines and every package to its budget, with the exceptions of
// sizes.txt, which may only shrink. The package owns no code the binary
// uses.
package archtest
