package jsonscan

import "math/bits"

// Eight bytes at a time ("SIMD within a register"). The string scanners
// spend most of their time in runs of plain ASCII text (message contents,
// ids, model names), and testing a 64-bit word for the bytes that end such
// a run replaces eight turns of a byte loop with a few instructions.
//
// Each mask below has the high bit of a byte set where that byte may be a
// stop. A byte that is a stop is always marked, and a byte is only marked
// wrongly above a real stop (a borrow carries upward, out of a byte that
// is itself a stop), so a word with no stop gives 0 and the lowest marked
// byte of any other word is its first stop: TrailingZeros64(m)/8 bytes in.
// swar_test.go checks both against a byte loop for every byte value at
// every position of a word.

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// eqMask marks the bytes of w equal to b.
func eqMask(w uint64, b byte) uint64 {
	x := w ^ (lows * uint64(b))
	return (x - lows) &^ x & highs
}

// ltMask marks the bytes of w below n; n must be below 0x80 (so that a
// byte below n is marked even when the byte under it borrows).
func ltMask(w uint64, n byte) uint64 {
	return (w - lows*uint64(n)) &^ w & highs
}

// stringStops marks what ends a run inside a JSON string for a validator:
// the closing quote, a backslash, a control byte.
func stringStops(w uint64) uint64 {
	return ltMask(w, 0x20) | eqMask(w, '"') | eqMask(w, '\\')
}

// htmlStops marks what encoding/json does not copy into a string as it is
// (and what Verbatim must look at): stringStops, the HTML-sensitive <, >
// and &, and every byte of a multi-byte UTF-8 sequence (which may be
// invalid, or U+2028 or U+2029).
//
// Two masks cover two bytes each: " (0x22) and & (0x26) differ only in bit
// 2, < (0x3c) and > (0x3e) only in bit 1, so setting that bit in every
// byte first makes each pair one value. Written out like this, the
// function is within the inliner's budget.
func htmlStops(w uint64) uint64 {
	q := (w | lows*0x04) ^ (lows * '&') // 0 where " or &
	a := (w | lows*0x02) ^ (lows * '>') // 0 where < or >
	b := w ^ (lows * '\\')              // 0 where \
	// eqMask of q, a and b, ltMask(w, 0x20) and w's high bits, with the
	// one & highs they share applied once.
	return ((q-lows)&^q | (a-lows)&^a | (b-lows)&^b | (w-lows*0x20)&^w | w) & highs
}

// load64 reads d[i:i+8] little-endian (one load once compiled; string
// and []byte are each compiled on their own).
func load64[T ~string | ~[]byte](d T, i int) uint64 {
	d = d[i : i+8]
	return uint64(d[0]) | uint64(d[1])<<8 | uint64(d[2])<<16 | uint64(d[3])<<24 |
		uint64(d[4])<<32 | uint64(d[5])<<40 | uint64(d[6])<<48 | uint64(d[7])<<56
}

// stringRun returns the index of the first stringStops byte at or after
// d[i], or the index from which fewer than eight bytes are left (the
// caller's byte loop looks at those).
func stringRun(d []byte, i int) int {
	for i+8 <= len(d) {
		if m := stringStops(load64(d, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	return i
}

// htmlRun is stringRun for htmlStops.
func htmlRun[T ~string | ~[]byte](d T, i int) int {
	for i+8 <= len(d) {
		if m := htmlStops(load64(d, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	return i
}

// HTMLSafeRun returns the index of the first byte at or after s[i] that
// encoding/json would not copy into a quoted string as it is (see
// htmlStops), or the index from which fewer than eight bytes are left.
// Every byte before the returned index is printable ASCII other than ",
// \, <, > and &. For jsonenc.AppendString.
func HTMLSafeRun(s string, i int) int { return htmlRun(s, i) }
