package tree

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// Timestamp layouts the SDKs send: JS (ms, Z), Python (µs, +00:00 or
// naive), Go (RFC 3339 nanoseconds), and Python's str(datetime) with a space.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// normTime parses a timestamp value and returns it as RFC 3339 UTC text
// (naive times are UTC). Epoch numbers are read as s, ms, µs or ns by
// magnitude. Unparsable text is returned as sent with a zero time.
func normTime(v json.RawMessage) (string, time.Time) {
	if len(v) == 0 || isNull(v) {
		return "", time.Time{}
	}
	s, isStr := jsonscan.Unquote(v)
	if !isStr {
		f, ok := jsonscan.Number(v)
		if !ok {
			return string(compact(v)), time.Time{}
		}
		var t time.Time
		switch a := math.Abs(f); {
		case a >= 1e17:
			t = time.Unix(0, int64(f))
		case a >= 1e14:
			t = time.UnixMicro(int64(f))
		case a >= 1e11:
			t = time.UnixMilli(int64(f))
		default:
			sec, frac := math.Modf(f)
			t = time.Unix(int64(sec), int64(frac*1e9))
		}
		t = t.UTC()
		return t.Format(time.RFC3339Nano), t
	}
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return t.Format(time.RFC3339Nano), t
		}
	}
	return s, time.Time{}
}
