// Package quality owns what a date's input is judged on before it is
// committed: each unit's lines, objects and bytes attributed to the UTC
// dates of its events ([Attribute]), summed per date ([Add]), the shares of
// them over --max-bad-ratio ([TooBroken]), and for --strict-fields the
// configured fields that no event held ([Missing]) and the level values
// that are not known levels ([UnknownLevels]).
//
// It does not read input, keep a run's verdicts or fail a run: package job
// judges each date with these and decides.
package quality
