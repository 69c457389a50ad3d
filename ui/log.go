package ui

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ParseLogLevel parses debug, info, warn or error.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: want debug, info, warn or error", s)
}

// NewLogger returns a logger writing to w at level: readable text for a
// terminal, JSON lines otherwise (as Kubernetes collects them).
func NewLogger(w io.Writer, level slog.Level, terminal bool) *slog.Logger {
	o := &slog.HandlerOptions{Level: level}
	if terminal {
		return slog.New(slog.NewTextHandler(w, o))
	}
	return slog.New(slog.NewJSONHandler(w, o))
}
