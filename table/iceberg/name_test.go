package iceberg_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table/iceberg"
)

// The Iceberg spelling of a window reads back as the window, as its other
// spellings do: for every window, the setting's spelling, the folder name
// and the table name read as one window.
func TestTableNameRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(26, 3))
	units := []time.Duration{time.Millisecond, time.Second, time.Minute, time.Hour}
	for range 2000 {
		size := time.Duration(1+r.Int64N(1000)) * units[r.IntN(len(units))]
		w := features.Window{Size: size, Slide: size}
		if r.IntN(2) == 0 {
			w.Slide = 1 + time.Duration(r.Int64N(int64(size)))
		}
		got, err := iceberg.ParseTableName(iceberg.TableName(w))
		if err != nil || got != w {
			t.Fatalf("ParseTableName(%q) = %+v, %v; want %+v", iceberg.TableName(w), got, err, w)
		}
		spec, err := features.ParseWindowSpec(w.Spec(), 0)
		if err != nil || spec != got {
			t.Fatalf("%q and %q read as %+v and %+v", w.Spec(), iceberg.TableName(w), spec, got)
		}
		name, err := features.ParseWindowName(w.String())
		if err != nil || name != got {
			t.Fatalf("%q and %q read as %+v and %+v", w.String(), iceberg.TableName(w), name, got)
		}
	}
}

func TestParseTableNameRefuses(t *testing.T) {
	for _, in := range []string{"5m", "features_", "features_900s", "features_15m-every-5m", "features_15m_5m_1m",
		"features_5m_5m", "features_5m_15m", "logs_5m", "Features_5m"} {
		if w, err := iceberg.ParseTableName(in); err == nil || !strings.Contains(err.Error(), "not a feature table name") {
			t.Errorf("ParseTableName(%q) = %+v, %v; want refused", in, w, err)
		}
	}
}
