//go:build !amd64

package features

func quoteBlocks(b []byte, m []uint64) uint64 { return quoteBlocksGeneric(b, m) }
