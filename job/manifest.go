package job

import (
	"github.com/logsmith/logsmith/table"
)

// Manifest describes one date partition of one table; see table.Manifest.
type Manifest = table.Manifest

// ManifestInput is one input object a partition was computed from.
type ManifestInput = table.Input

// DamagedObject is an input object that could not be read to its end.
type DamagedObject = table.DamagedObject
