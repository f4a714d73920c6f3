package pii

import (
	"regexp"
	"strconv"
	"strings"
)

// cardRE finds 13 to 19 digits, optionally grouped by single spaces or
// dashes.
var cardRE = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)

func findCards(_ *Detector, sc *scan) []Finding {
	text, taken := sc.text, &sc.taken
	var out []Finding
	for _, m := range matchIn(cardRE, text, sc.digitSpans()) {
		s, e := m[0], m[1]
		raw := text[s:e]
		if !cardGrouping(raw) || embedded(text, s, e) {
			continue
		}
		digits := digitsOnly(raw)
		network := cardNetwork(digits)
		if network == "" || !luhn(digits) || taken.overlaps(s, e) {
			continue
		}
		out = append(out, Finding{Kind: Card, Start: s, End: e, Detail: network})
	}
	return out
}

// embedded reports a number that continues a larger token: a decimal
// ("1234.5678"), a version, a path or an identifier.
func embedded(text string, s, e int) bool {
	if s > 0 {
		switch c := text[s-1]; {
		case isWordByte(c), c == '.', c == '-', c == '/', c == ':', c == '#':
			return true
		}
	}
	if e < len(text) {
		c := text[e]
		if isWordByte(c) || c == '-' || c == '/' {
			return true
		}
		if (c == '.' || c == ':') && e+1 < len(text) && isDigit(text[e+1]) {
			return true
		}
	}
	return false
}

// cardGrouping accepts the ways card numbers are printed: no separators,
// or one kind of separator between groups of four (Visa, Mastercard,
// Discover, the last group shorter), 4-6-5 (Amex) or 4-6-4 (Diners).
func cardGrouping(raw string) bool {
	sep := ""
	switch {
	case strings.Contains(raw, " ") && strings.Contains(raw, "-"):
		return false
	case strings.Contains(raw, " "):
		sep = " "
	case strings.Contains(raw, "-"):
		sep = "-"
	default:
		return true
	}
	groups := strings.Split(raw, sep)
	lens := make([]string, len(groups))
	for i, g := range groups {
		lens[i] = strconv.Itoa(len(g))
	}
	shape := strings.Join(lens, "-")
	switch shape {
	case "4-6-5", "4-6-4":
		return true
	}
	for i, g := range groups {
		last := i == len(groups)-1
		if len(g) != 4 && !(last && len(g) >= 1 && len(g) <= 3) {
			return false
		}
	}
	return len(groups) >= 4
}

// cardNetwork returns the network of an issuer identification number, or
// "" when no major network issues cards starting so (or of that length).
func cardNetwork(d string) string {
	n := len(d)
	p := func(k int) int { v, _ := strconv.Atoi(d[:k]); return v }
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (p(2) >= 51 && p(2) <= 55 || p(4) >= 2221 && p(4) <= 2720) && n == 16:
		return "mastercard"
	case (p(2) == 34 || p(2) == 37) && n == 15:
		return "amex"
	case (p(4) == 6011 || p(2) == 65 || p(3) >= 644 && p(3) <= 649) && n >= 16:
		return "discover"
	case p(4) >= 3528 && p(4) <= 3589 && n >= 16:
		return "jcb"
	case (p(3) >= 300 && p(3) <= 305 || p(2) == 36 || p(2) == 38 || p(2) == 39) && n >= 14:
		return "diners"
	case p(2) == 62 && n >= 16:
		return "unionpay"
	case (p(2) == 50 || p(2) >= 56 && p(2) <= 69) && n >= 12:
		return "maestro"
	}
	return ""
}

// luhn is the ISO/IEC 7812 check digit test.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}
