package pii

import (
	"regexp"
	"strings"
)

// ssnRE is the printed form AAA-GG-SSSS (dashes or spaces); a bare run of
// nine digits is only taken after a word that says it is an SSN.
var (
	ssnRE     = regexp.MustCompile(`\b(\d{3})([- ])(\d{2})([- ])(\d{4})\b`)
	ssnBareRE = regexp.MustCompile(`\b\d{9}\b`)
)

// ssnContext are words that announce a social security number.
var ssnContext = []string{"ssn", "social security", "soc. sec", "taxpayer id", "tin"}

func findSSNs(_ *Detector, sc *scan) []Finding {
	text, taken := sc.text, &sc.taken
	var out []Finding
	for _, m := range matchIn(ssnRE, text, sc.digitSpans()) {
		s, e := m[0], m[1]
		if text[m[4]:m[5]] != text[m[8]:m[9]] || embedded(text, s, e) {
			continue
		}
		if validSSN(text[m[2]:m[3]], text[m[6]:m[7]], text[m[10]:m[11]]) && !taken.overlaps(s, e) {
			out = append(out, Finding{Kind: SSN, Start: s, End: e})
		}
	}
	for _, m := range matchIn(ssnBareRE, text, sc.digitSpans()) {
		s, e := m[0], m[1]
		d := text[s:e]
		if embedded(text, s, e) || taken.overlaps(s, e) || !validSSN(d[:3], d[3:5], d[5:]) {
			continue
		}
		before := strings.ToLower(text[max(0, s-32):s])
		for _, w := range ssnContext {
			if strings.Contains(before, w) {
				out = append(out, Finding{Kind: SSN, Start: s, End: e})
				break
			}
		}
	}
	return out
}

// validSSN applies the SSA's rules: no area 000, 666 or 900-999, no group
// 00, no serial 0000, and none of the numbers known to be published
// examples (the Woolworth wallet card, the 1940s ad, the textbook one).
func validSSN(area, group, serial string) bool {
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return false
	}
	switch area + group + serial {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}
