package settings

import "testing"

// Review of issue 23, item 7: a variable meant for logsmith but written
// with its prefix in another case is as unknown as one with a typo in its
// suffix (the environment is case-sensitive, so its value would be
// ignored and the default used): refused, naming the setting it spells.
func TestReview23EnvPrefixInAnyCase(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"logsmith_max_bad_ratio", "did you mean LOGSMITH_MAX_BAD_RATIO?"},
		{"Logsmith_Window", "did you mean LOGSMITH_WINDOW?"},
		{"logsmith_unknown_thing_entirely", "not a setting of any command"},
	} {
		var c Config
		err := ParseEnv(&c, map[string]string{tc.name: "0.5", "LOGSMITH_WINDOW": "5m"})
		wantConfigError(t, tc.name, err, tc.name, tc.want)
	}
}
