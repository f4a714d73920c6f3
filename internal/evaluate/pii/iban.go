package pii

import (
	"regexp"
)

// ibanLengths is the IBAN length of each country in the SWIFT IBAN
// registry.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
	"DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
	"GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
	"IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
	"LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
	"SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
	"TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanRE finds a candidate: country, check digits, then alphanumerics in
// groups of up to four separated by single spaces (the printed form) or
// none (the electronic form).
var ibanRE = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}`)

func findIBANs(_ *Detector, sc *scan) []Finding {
	text, taken := sc.text, &sc.taken
	// An IBAN starts with two capitals and two digits, at most 42 bytes
	// long in print.
	var starts []int
	for i := 0; i+4 <= len(text); i++ {
		if isUpper(text[i]) && isUpper(text[i+1]) && isDigit(text[i+2]) && isDigit(text[i+3]) && (i == 0 || !isWordByte(text[i-1])) {
			starts = append(starts, i)
		}
	}
	var out []Finding
	for _, m := range matchIn(ibanRE, text, around(text, starts, 0, 48)) {
		s := m[0]
		if s > 0 && isWordByte(text[s-1]) {
			continue
		}
		n, ok := ibanLengths[text[s:s+2]]
		if !ok {
			continue
		}
		// Take exactly n alphanumerics; the next byte must end the IBAN
		// (the regex may have run on into a following word or group).
		var compact []byte
		e := s
		for e < len(text) && len(compact) < n {
			c := text[e]
			if c == ' ' {
				e++
				continue
			}
			if !isWordByte(c) || c == '_' {
				break
			}
			compact = append(compact, c)
			e++
		}
		if len(compact) != n || (e < len(text) && isWordByte(text[e])) {
			continue
		}
		if !mod97(compact) || taken.overlaps(s, e) {
			continue
		}
		out = append(out, Finding{Kind: IBAN, Start: s, End: e})
	}
	return out
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

// mod97 is ISO 13616's check: move the first four characters to the end,
// read letters as 10..35, and the number mod 97 must be 1.
func mod97(iban []byte) bool {
	rearranged := append(append([]byte{}, iban[4:]...), iban[:4]...)
	r := 0
	for _, c := range rearranged {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return r == 1
}
