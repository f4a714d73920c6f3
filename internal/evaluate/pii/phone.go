package pii

import (
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// phoneRE finds a candidate: an optional + or opening parenthesis, then
// digits with the separators people type (space, no-break space, dash,
// dot, slash, parentheses). libphonenumber then decides whether it is a
// valid number; the checks before it keep out the digit strings that a
// valid-looking number hides in: dates, IP addresses, versions, ISBNs,
// order and reference numbers.
var phoneRE = regexp.MustCompile(`(?:\+[ \x{00a0}]?|\()?\d[\d \x{00a0}().\-/]{5,22}\d`)

var (
	dateRE = regexp.MustCompile(`\b(?:(?:19|20)\d{2}[-./ ](?:0?[1-9]|1[0-2])[-./ ](?:0?[1-9]|[12]\d|3[01])|(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)?\d{2})\b`)
	ipRE   = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`)
	// refWordRE are words after which a number is a reference, not a
	// phone (English and German).
	refWordRE = regexp.MustCompile(`(?i)(?:\b(?:order|orders|invoice|ticket|tracking|ref|reference|account|acct|isbn|issn|serial|sku|case|booking|confirmation|transaction|txn|id|no|nr|number|version|build|patent|po|batch|lot|zip|postcode|plz|bestellung|bestellnummer|rechnung|rechnungsnummer|kundennummer|auftrag|auftragsnummer|sendungsnummer|vorgang|vorgangsnummer|artikel|artikelnummer|aktenzeichen|iban|konto|kontonummer|blz|steuernummer)\b|#)(?:[\s:.#-]|\b(?:is|was|ist|lautet|war)\b)*$`)
	// phoneWordRE are words that announce a phone number.
	phoneWordRE = regexp.MustCompile(`(?i)\b(?:phone|tel|telephone|call|mobile|cell|fax|whatsapp|sms|text|dial|hotline|telefon|telefonnummer|tel\.|handy|mobil|anrufen|rufen|ruf|erreichbar|unter)\b`)
)

func findPhones(d *Detector, text string, taken *claims) []Finding {
	var out []Finding
	for _, m := range phoneRE.FindAllStringIndex(text, -1) {
		s, e := m[0], m[1]
		// A trailing separator or an unbalanced parenthesis is not part of
		// the number.
		cand := strings.TrimRight(text[s:e], " \u00a0-./(")
		e = s + len(cand)
		if strings.HasPrefix(cand, "(") && !strings.Contains(cand, ")") {
			cand, s = cand[1:], s+1
		}
		if taken.overlaps(s, e) || phoneEmbedded(text, s, e) {
			continue
		}
		if f, ok := d.phone(text, s, e, cand); ok {
			out = append(out, f)
			taken.add(f.Start, f.End)
		}
	}
	return out
}

// phoneEmbedded reports a candidate that continues a larger token: an
// identifier, a decimal, a path, a UUID, a time.
func phoneEmbedded(text string, s, e int) bool {
	if s > 0 {
		c := text[s-1]
		if isWordByte(c) || strings.IndexByte(".-/:#@$€£_=", c) >= 0 {
			return true
		}
	}
	if e < len(text) {
		c := text[e]
		if isWordByte(c) || c == '@' || c == '%' {
			return true
		}
		if strings.IndexByte(".:-/,", c) >= 0 && e+1 < len(text) && isDigit(text[e+1]) {
			return true
		}
	}
	return false
}

func (d *Detector) phone(text string, s, e int, cand string) (Finding, bool) {
	digits := digitsOnly(cand)
	international := strings.HasPrefix(cand, "+") || strings.HasPrefix(digits, "00") && !strings.HasPrefix(digits, "000")
	if len(digits) < 7 || len(digits) > 17 {
		return Finding{}, false
	}
	if dateRE.MatchString(cand) || ipRE.MatchString(cand) {
		return Finding{}, false
	}
	if (strings.HasPrefix(digits, "978") || strings.HasPrefix(digits, "979")) && len(digits) == 13 && !strings.HasPrefix(cand, "+") {
		return Finding{}, false // an ISBN-13
	}
	before := text[max(0, s-40):s]
	// A number after "order", "invoice #", "Kundennummer:" is a reference,
	// unless a phone word comes between ("order line, call 0800 ...").
	if loc := refWordRE.FindStringIndex(before); loc != nil && !phoneWordRE.MatchString(before[max(0, loc[0]-12):]) {
		return Finding{}, false
	}
	separated := strings.ContainsAny(cand, " \u00a0-./()")
	if !international && !separated && digits[0] != '0' && !phoneWordRE.MatchString(before) {
		// A bare run of digits is an id, a timestamp or an amount far more
		// often than a phone number written without a prefix.
		return Finding{}, false
	}
	if onlyDots(cand) && !international && !dottedPhone(cand) {
		return Finding{}, false // a version or a decimal
	}
	if international {
		num := "+" + strings.TrimPrefix(digits, "00")
		if strings.HasPrefix(cand, "+") {
			num = "+" + digits
		}
		if p, err := phonenumbers.Parse(num, ""); err == nil && phonenumbers.IsValidNumber(p) {
			return Finding{Kind: Phone, Start: s, End: e, Detail: phonenumbers.GetRegionCodeForNumber(p)}, true
		}
		return Finding{}, false
	}
	for _, region := range d.regions {
		p, err := phonenumbers.Parse(cand, region)
		if err == nil && phonenumbers.IsValidNumberForRegion(p, region) {
			return Finding{Kind: Phone, Start: s, End: e, Detail: region}, true
		}
	}
	return Finding{}, false
}

func onlyDots(s string) bool {
	return strings.Contains(s, ".") && !strings.ContainsAny(s, " \u00a0-/()")
}

// dottedPhone accepts the dotted national formats: French 01.23.45.67.89
// and North American 415.555.2671.
func dottedPhone(s string) bool {
	groups := strings.Split(s, ".")
	shape := make([]int, len(groups))
	for i, g := range groups {
		shape[i] = len(g)
	}
	if len(shape) == 3 && shape[0] == 3 && shape[1] == 3 && shape[2] == 4 {
		return true
	}
	for _, n := range shape {
		if n != 2 {
			return false
		}
	}
	return len(shape) == 5
}
