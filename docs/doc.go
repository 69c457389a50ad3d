// Package docs holds logsmith's user documentation (README.md beside the
// repository root, and the Markdown files here) and the test that runs it:
// every shell and SQL block of the docs is executed against a local folder
// and a real MinIO, so a walkthrough cannot break unnoticed. It owns no
// code that logsmith links; how a block is run, and the markers that say a
// block cannot run here, are described in docrun_test.go and
// development.md.
package docs
