package jsonscan

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// DecodeAny is `json.Unmarshal([]byte(s), &v)` into an `any` (objects as
// map[string]any, arrays as []any, numbers as float64), ok being err == nil,
// without encoding/json's reflection: the document is validated once with
// Valid and then walked. Strings without escapes are substrings of s (no
// copy), so they keep s alive. Anything off the fast path (escaped strings
// are unquoted by encoding/json itself; duplicate object keys or numbers
// out of float64's range make the whole document go to encoding/json)
// gives exactly what json.Unmarshal gives; decode_test.go checks this
// differentially.
func DecodeAny(s string) (any, bool) {
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	if !Valid(b) {
		return nil, false
	}
	d := anyDecoder{s: s, b: b}
	v, _ := d.value(skipSpace(b, 0))
	if d.slow {
		var w any
		if json.Unmarshal(b, &w) != nil {
			return nil, false
		}
		return w, true
	}
	return v, true
}

type anyDecoder struct {
	s    string
	b    []byte
	slow bool // leave the document to encoding/json
}

// value decodes the valid value at b[i] and returns the index after it.
func (d *anyDecoder) value(i int) (any, int) {
	b := d.b
	switch b[i] {
	case '{':
		m := map[string]any{}
		i = skipSpace(b, i+1)
		if b[i] == '}' {
			return m, i + 1
		}
		for {
			var k string
			k, i = d.str(i)
			i = skipSpace(b, i)   // ':'
			i = skipSpace(b, i+1) // value
			var v any
			v, i = d.value(i)
			if d.slow {
				return nil, i
			}
			if _, dup := m[k]; dup {
				d.slow = true
				return nil, i
			}
			m[k] = v
			i = skipSpace(b, i)
			if b[i] == '}' {
				return m, i + 1
			}
			i = skipSpace(b, i+1) // after ','
		}
	case '[':
		l := []any{}
		i = skipSpace(b, i+1)
		if b[i] == ']' {
			return l, i + 1
		}
		for {
			var v any
			v, i = d.value(i)
			if d.slow {
				return nil, i
			}
			l = append(l, v)
			i = skipSpace(b, i)
			if b[i] == ']' {
				return l, i + 1
			}
			i = skipSpace(b, i+1)
		}
	case '"':
		return d.str(i)
	case 't':
		return true, i + 4
	case 'f':
		return false, i + 5
	case 'n':
		return nil, i + 4
	default:
		end, _ := numberEnd(b, i)
		f, err := strconv.ParseFloat(d.s[i:end], 64)
		if err != nil {
			d.slow = true
		}
		return f, end
	}
}

// str decodes the valid string at b[i].
func (d *anyDecoder) str(i int) (string, int) {
	end := skipString(d.b, i)
	if plainString(d.b[i+1 : end-1]) {
		return d.s[i+1 : end-1], end
	}
	if s, ok := unescape(d.b[i+1 : end-1]); ok {
		return s, end
	}
	var s string
	if json.Unmarshal(d.b[i:end], &s) != nil {
		d.slow = true
	}
	return s, end
}

// unescape decodes the content of a valid JSON string whose escapes are
// all single-character ones (\" \\ \/ \b \f \n \r \t) and whose other
// bytes are valid UTF-8: what encoding/json gives for it. ok is false for
// anything else (\u escapes, invalid UTF-8), left to encoding/json.
func unescape(b []byte) (string, bool) {
	if !utf8.Valid(b) {
		return "", false
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default:
			return "", false
		}
	}
	return unsafe.String(unsafe.SliceData(out), len(out)), true
}

// The walkers below read a validated document held in a string (check it
// with ValidString first): values handed out are substrings of it.

// ValidString is Valid for a string, without copying it.
func ValidString(s string) bool {
	return Valid(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// StringValue decodes a string value of a validated document like
// json.Unmarshal into a string; an unescaped string is returned as a
// substring. ok is false when v is not a string.
func StringValue(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	if plainString(b[1 : len(b)-1]) {
		return v[1 : len(v)-1], true
	}
	if s, ok := unescape(b[1 : len(b)-1]); ok {
		return s, true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// EachMember calls fn with every member of the object value v of a
// validated document, in document order (keys decoded, values raw, without
// surrounding whitespace), until fn returns false. It returns false when v
// is not an object or fn stopped.
func EachMember(v string, fn func(key, val string) bool) bool {
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if b[i] == '}' {
		return true
	}
	for {
		ke := skipString(b, i)
		k, ok := StringValue(v[i:ke])
		if !ok {
			return false
		}
		i = skipSpace(b, ke)
		i = skipSpace(b, i+1)
		ve := skipValue(b, i)
		if !fn(k, v[i:ve]) {
			return false
		}
		i = skipSpace(b, ve)
		if b[i] == '}' {
			return true
		}
		i = skipSpace(b, i+1)
	}
}

// EachElem calls fn with every element of the array value v of a validated
// document until fn returns false. It returns false when v is not an array
// or fn stopped.
func EachElem(v string, fn func(val string) bool) bool {
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i = skipSpace(b, i+1)
	if b[i] == ']' {
		return true
	}
	for {
		ve := skipValue(b, i)
		if !fn(v[i:ve]) {
			return false
		}
		i = skipSpace(b, ve)
		if b[i] == ']' {
			return true
		}
		i = skipSpace(b, i+1)
	}
}
