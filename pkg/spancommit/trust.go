package spancommit

import "go.opentelemetry.io/collector/pdata/pcommon"

// The canonical attributes arrive from the network like any other: a client
// can send a span already marked normalized, with any subset of the
// canonical keys and any value types. These checks are the one definition
// of when a span may be taken as the normalizer's output; everything that
// reads the marker uses them, so the normalizer and FromTraces agree.

// Normalized reports whether attrs carry the normalizer's marker: the
// boolean true under AttrNormalized. A marker of another type ("true",
// 1) is not the normalizer's: it only ever writes a bool.
func Normalized(attrs pcommon.Map) bool {
	v, ok := attrs.Get(AttrNormalized)
	return ok && v.Type() == pcommon.ValueTypeBool && v.Bool()
}

// NormalizedKind returns the entity kind of a span the normalizer may pass
// through untouched: it is marked normalized (Normalized) and its
// AttrKind is a string naming a known kind. ok is false otherwise (no
// marker, or a marker with a missing, non-string or unknown kind): such a
// span must be normalized like any other input.
func NormalizedKind(attrs pcommon.Map) (kind string, ok bool) {
	if !Normalized(attrs) {
		return "", false
	}
	v, ok := attrs.Get(AttrKind)
	if !ok || v.Type() != pcommon.ValueTypeStr || !KnownKind(v.Str()) {
		return "", false
	}
	return v.Str(), true
}

// KnownKind reports whether kind is one of the Kind* constants.
func KnownKind(kind string) bool {
	switch kind {
	case KindGeneration, KindToolCall, KindRetrieval, KindSpan, KindSessionEnd:
		return true
	}
	return false
}
