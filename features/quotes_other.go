//go:build !amd64

package features

func quoteBlocks(b []byte, m []uint64) (bs, ctrl uint64) { return quoteBlocksGeneric(b, m) }
