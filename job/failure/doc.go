// Package failure sorts logsmith's errors by what their caller should do
// about them (Kind: fix a setting, look at the input, retry, …) and maps
// them to the binary's exit codes (ExitCode), the contract with
// schedulers: KindOf classifies any error, New marks one with its kind,
// and Storage sorts an error of the store (access refused, or a failure
// worth retrying, with the setting to check for an unreachable endpoint).
//
// It does not decide when a run fails, retry anything or print errors.
package failure
