// Package settings owns logsmith's settings: every command's config
// struct (the run's Config and its parts, plan, peek, backfill, generate
// and the output commands'), read once from LOGSMITH_* variables, a config
// file and flags (ParseEnv, ReadConfigFile, Settings), validated naming
// the bad setting (Validate, ConfigError) and parsed once into a Resolved
// (Config.Resolve); the config hash (ConfigSnapshot); the log shapes'
// presets; and the locations the settings name: input templates, URL
// schemes (each scheme's parsing, key space and Iceberg warehouse, in one
// entry), and the input/output overlap check.
//
// It does not open stores (package job opens a location and sorts its
// errors into kinds), list inputs, or run anything.
package settings
