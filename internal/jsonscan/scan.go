// Package jsonscan is the trace-tree fold's JSON reading. The fold used to
// decode every commit (and every nested object) with encoding/json into
// map[string]json.RawMessage, which dominated assembly time: a map and a
// copy per member, validation of every nested value again. Here a commit's
// data is validated once (Valid, which is json.Valid) and then walked as raw
// sub-slices: every sub-value of a valid document is itself valid, so nested
// reads need no second validation and allocate nothing. Each helper gives
// exactly what the encoding/json call it replaces gave (internal/tree's
// scan_test.go checks this differentially); anything outside the fast paths
// falls back to encoding/json itself.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Arena hands out the member slices of one fold from one growing buffer,
// so decoding an object costs no allocation once the buffer has grown;
// members only live while their fold runs (the node keeps clones), so an
// Arena is Reset and reused by the next fold of the same goroutine. A nil
// Arena allocates per object.
type Arena struct{ buf []Member }

// Reset drops the members handed out so far; they must be dead.
func (a *Arena) Reset() {
	if a != nil {
		clear(a.buf) // drop references to the previous fold's data
		a.buf = a.buf[:0]
	}
}

// Member is one key of a JSON object with its raw value (no surrounding
// whitespace; a view into the decoded data, never modified).
type Member struct {
	Key string
	Val json.RawMessage
}

// Object is a decoded JSON object: members sorted by key, one per key (the
// last occurrence wins, as with json.Unmarshal into a map). OK is false
// when the value was not an object (what a nil map meant before).
type Object struct {
	Members []Member
	OK      bool
}

// Get returns the value of key (nil when absent), like indexing the map.
func (o Object) Get(key string) json.RawMessage {
	ms := o.Members
	lo, hi := 0, len(ms)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ms[m].Key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ms) && ms[lo].Key == key {
		return ms[lo].Val
	}
	return nil
}

// Has reports whether key is present.
func (o Object) Has(key string) bool {
	v := o.Get(key)
	return v != nil
}

// ParseObject decodes data, which need not be valid JSON, as an object:
// OK is what `json.Unmarshal(data, &map) == nil && map != nil` was.
func (a *Arena) ParseObject(data []byte) Object {
	if !Valid(data) {
		return Object{}
	}
	return a.SubObject(data)
}

// SubObject decodes a value taken from an already validated document.
func (a *Arena) SubObject(v []byte) Object {
	ms := a.RawMembers(v)
	if ms == nil {
		return Object{}
	}
	return Object{Members: SortMembers(ms), OK: true}
}

// RawMembers returns the members of a validated object value in document
// order (non-nil for an object, nil for anything else).
func (a *Arena) RawMembers(v []byte) []Member {
	v = trimSpace(v)
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	// Members are appended to the Arena's buffer (a reallocation copies
	// earlier objects' members along; slices already handed out keep the
	// old array, which stays valid).
	var ms []Member
	first := 0
	if a == nil {
		ms = make([]Member, 0, 8)
	} else {
		if a.buf == nil {
			a.buf = make([]Member, 0, 32)
		}
		ms, first = a.buf, len(a.buf)
	}
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == '}' {
		return ms[first:first:first] // non-nil: an empty object
	}
	for i < len(v) {
		// key
		ks := i
		i = skipString(v, i)
		key := decodeKey(v[ks:i])
		i = skipSpace(v, i)
		i++ // ':'
		i = skipSpace(v, i)
		vs := i
		i = skipValue(v, i)
		ms = append(ms, Member{Key: key, Val: v[vs:i:i]})
		i = skipSpace(v, i)
		if i >= len(v) || v[i] == '}' {
			break
		}
		i = skipSpace(v, i+1) // ','
	}
	if a != nil {
		a.buf = ms
	}
	return ms[first:len(ms):len(ms)]
}

// smallObject is the member count up to which SortMembers uses an
// insertion sort.
const smallObject = 16

// SortMembers sorts by key (stable, so of equal keys the last is the
// document's last) and keeps the last of each key. The sort runs on every
// fold of every object, so it must stay O(n log n) whatever order a client
// sends its keys in (an insertion sort made one 20,000-key object in
// reverse order cost seconds per read); slices.SortStableFunc sorts in
// place without allocating. Small objects (almost every SDK object) keep
// the inline insertion sort, which is faster there; both are stable, so the
// order is the same.
func SortMembers(ms []Member) []Member {
	if len(ms) <= smallObject {
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && ms[j].Key < ms[j-1].Key; j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
	} else {
		slices.SortStableFunc(ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
	}
	out := ms[:0]
	for i := range ms {
		if i+1 < len(ms) && ms[i+1].Key == ms[i].Key {
			continue
		}
		out = append(out, ms[i])
	}
	return out
}

// decodeKey turns a quoted JSON key into its string.
func decodeKey(q []byte) string {
	if len(q) >= 2 {
		inner := q[1 : len(q)-1]
		if plainASCII(inner) {
			if k, ok := knownKeys.intern(inner); ok {
				return k
			}
			return string(inner)
		}
	}
	var s string
	_ = json.Unmarshal(q, &s)
	return s
}

// plainASCII reports whether b is string content that needs no unescaping:
// printable ASCII without quote or backslash.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainString reports whether b is string content that json.Unmarshal
// returns unchanged: no escapes, no control bytes, valid UTF-8.
func plainString(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return ascii || utf8.Valid(b)
}

// ArrayElems returns the elements of a validated array value, ok false if
// the value is not an array.
func ArrayElems(v []byte) ([]json.RawMessage, bool) {
	it, ok := NewArray(v)
	if !ok {
		return nil, false
	}
	out := []json.RawMessage{} // [] decodes to an empty, non-nil slice
	for el, more := it.Next(); more; el, more = it.Next() {
		out = append(out, el)
	}
	return out, true
}

// Array walks the elements of a validated array value without collecting
// them: the fold reads the messages and choices of every generation, and
// a slice per array was a tenth of a large tree read's allocations.
type Array struct {
	v []byte
	i int
}

// NewArray starts a walk of v, ok false if v is not an array.
func NewArray(v []byte) (Array, bool) {
	v = trimSpace(v)
	if len(v) == 0 || v[0] != '[' {
		return Array{}, false
	}
	return Array{v: v, i: skipSpace(v, 1)}, true
}

// Next returns the next element (a view into the array), more false once
// the array is done.
func (a *Array) Next() (el json.RawMessage, more bool) {
	v := a.v
	if a.i >= len(v) || v[a.i] == ']' {
		a.i = len(v)
		return nil, false
	}
	s := a.i
	i := skipValue(v, s)
	el = v[s:i:i]
	i = skipSpace(v, i)
	if i < len(v) && v[i] != ']' {
		i = skipSpace(v, i+1) // past the comma
	} else {
		i = len(v)
	}
	a.i = i
	return el, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(v []byte, i int) int {
	for i < len(v) && isSpace(v[i]) {
		i++
	}
	return i
}

func trimSpace(v []byte) []byte {
	for len(v) > 0 && isSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

// skipString returns the index after the string starting at v[i] == '"'.
//
// It jumps from quote to quote (bytes.IndexByte) and counts the
// backslashes before each: message texts are kilobytes long and every
// walker of a document skips them.
func skipString(v []byte, i int) int {
	i++
	// Most strings (keys, ids, model names, roles) end within a word or
	// two, where IndexByte's call costs more than the search: look for the
	// quote a word at a time first. A word with no quote and no backslash
	// is passed; the first quote of a word with no backslash before it
	// ends the string; an escape goes to the loop below, which counts
	// backslashes only back to i (a word left behind held none).
	for n := 0; n < 2 && i+8 <= len(v); n++ {
		w := load64(v, i)
		q, bs := eqMask(w, '"'), eqMask(w, '\\')
		if bs != 0 && (q == 0 || bits.TrailingZeros64(bs) < bits.TrailingZeros64(q)) {
			break
		}
		if q != 0 {
			return i + bits.TrailingZeros64(q)>>3 + 1
		}
		i += 8
	}
	for i < len(v) {
		j := bytes.IndexByte(v[i:], '"')
		if j < 0 {
			return len(v)
		}
		q := i + j
		n := 0
		for k := q - 1; k >= i && v[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
	return len(v)
}

// skipValue returns the index after the value starting at v[i].
func skipValue(v []byte, i int) int {
	if i >= len(v) {
		return i
	}
	switch v[i] {
	case '"':
		return skipString(v, i)
	case '{', '[':
		depth := 0
		for i < len(v) {
			switch v[i] {
			case '"':
				i = skipString(v, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(v)
	default:
		for i < len(v) {
			switch v[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return len(v)
	}
}

// CompactSame reports whether json.Compact would return v unchanged: no
// whitespace outside strings. For invalid input compact returns v as well,
// so the answer is right whatever v is.
func CompactSame(v []byte) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"':
			i++
			for i < len(v) && v[i] != '"' {
				if v[i] == '\\' {
					i++
				}
				i++
			}
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return true
}

// Unquote returns the string a JSON string value decodes to (ok false if
// v is not a string), like json.Unmarshal(v, &s).
func Unquote(v []byte) (string, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && plainString(v[1:len(v)-1]) {
		return string(v[1 : len(v)-1]), true
	}
	if len(v) == 0 || v[0] != '"' && !isSpace(v[0]) {
		return "", false
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && validStringContent(v) {
		if s, ok := unescape(v[1 : len(v)-1]); ok {
			return s, true
		}
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// validStringContent reports whether v, which starts and ends with a
// quote, is exactly one valid JSON string.
func validStringContent(v []byte) bool {
	end, ok := validString(v, 0)
	return ok && end == len(v)
}

// IsNumber reports whether v is exactly a JSON number literal.
func IsNumber(v []byte) bool {
	end, ok := numberEnd(v, 0)
	return ok && end == len(v)
}

// number reads a JSON number, or a string holding a finite number.
func Number(v json.RawMessage) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	if IsNumber(v) {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f, true
		}
	}
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return f, true
	}
	if s, ok := Unquote(v); ok {
		if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x, true
		}
	}
	return 0, false
}

// MaxDepth is encoding/json's nesting limit (its scanner rejects deeper
// documents), so Valid accepts exactly what json.Valid accepts.
const MaxDepth = 10000

// Valid is json.Valid as a recursive-descent check: several times
// faster than encoding/json's byte-at-a-time state machine, and it is on
// the path of every commit the fold reads.
func Valid(d []byte) bool {
	i, ok := scanValue(d, skipSpace(d, 0), 0, false)
	return ok && skipSpace(d, i) == len(d)
}

// scanValue checks the value at d[i] and returns the index after it. With
// verbatim, whitespace between tokens is refused (there is no skipping: the
// next check meets it) and strings are checked by verbatimString (Verbatim).
func scanValue(d []byte, i, depth int, verbatim bool) (int, bool) {
	if i >= len(d) {
		return i, false
	}
	space := func(i int) int {
		if verbatim {
			return i
		}
		return skipSpace(d, i)
	}
	var ok bool
	switch c := d[i]; c {
	case '{':
		if depth++; depth > MaxDepth {
			return i, false
		}
		i = space(i + 1)
		if i < len(d) && d[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(d) || d[i] != '"' {
				return i, false
			}
			if i, ok = scanString(d, i, verbatim); !ok {
				return i, false
			}
			i = space(i)
			if i >= len(d) || d[i] != ':' {
				return i, false
			}
			if i, ok = scanValue(d, space(i+1), depth, verbatim); !ok {
				return i, false
			}
			i = space(i)
			if i >= len(d) {
				return i, false
			}
			if d[i] == '}' {
				return i + 1, true
			}
			if d[i] != ',' {
				return i, false
			}
			i = space(i + 1)
		}
	case '[':
		if depth++; depth > MaxDepth {
			return i, false
		}
		i = space(i + 1)
		if i < len(d) && d[i] == ']' {
			return i + 1, true
		}
		for {
			if i, ok = scanValue(d, i, depth, verbatim); !ok {
				return i, false
			}
			i = space(i)
			if i >= len(d) {
				return i, false
			}
			if d[i] == ']' {
				return i + 1, true
			}
			if d[i] != ',' {
				return i, false
			}
			i = space(i + 1)
		}
	case '"':
		return scanString(d, i, verbatim)
	case 't':
		return literal(d, i, "true")
	case 'f':
		return literal(d, i, "false")
	case 'n':
		return literal(d, i, "null")
	default:
		end, ok := numberEnd(d, i)
		return end, ok
	}
}

func scanString(d []byte, i int, verbatim bool) (int, bool) {
	if verbatim {
		return verbatimString(d, i)
	}
	return validString(d, i)
}

func literal(d []byte, i int, lit string) (int, bool) {
	if len(d)-i >= len(lit) && string(d[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// validString checks the string starting at d[i] == '"' and returns the
// index after it. Like encoding/json it rejects control bytes and unknown
// escapes but accepts invalid UTF-8 (decoding replaces it).
func validString(d []byte, i int) (int, bool) {
	for i++; i < len(d); {
		if len(d)-i >= 8 {
			if i = stringRun(d, i); i >= len(d) {
				break
			}
		}
		c := d[i]
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			n, ok := escapeLen(d, i)
			if !ok {
				return i, false
			}
			i += n
		default:
			i++
		}
	}
	return i, false
}

// escapeLen returns the length of the valid escape sequence at d[i] == '\\'
// (\" \\ \/ \b \f \n \r \t or \u and four hex digits).
func escapeLen(d []byte, i int) (int, bool) {
	if i+1 >= len(d) {
		return 0, false
	}
	switch d[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		if i+6 > len(d) {
			return 0, false
		}
		for _, h := range d[i+2 : i+6] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return 0, false
			}
		}
		return 6, true
	}
	return 0, false
}

// numberEnd returns the index after the JSON number starting at v[i].
func numberEnd(v []byte, i int) (int, bool) {
	if i < len(v) && v[i] == '-' {
		i++
	}
	if i >= len(v) {
		return i, false
	}
	if v[i] == '0' {
		i++
	} else if v[i] >= '1' && v[i] <= '9' {
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
	} else {
		return i, false
	}
	if i < len(v) && v[i] == '.' {
		i++
		d := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == d {
			return i, false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		d := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == d {
			return i, false
		}
	}
	return i, true
}

// Seen records which members of an object a typed decoder has read, one bit
// a member, so a key that appears twice can be refused (encoding/json would
// keep the last one silently; the decoders that use this must agree with a
// canonical encoder that never writes one twice).
type Seen uint8

// First reports whether the member with this bit is read for the first time.
func (s *Seen) First(bit Seen) bool {
	if *s&bit != 0 {
		return false
	}
	*s |= bit
	return true
}
