package pii

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

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
)

// refWords are words after which a number is a reference, not a phone
// (English and German); any German word ending in "nummer" is one too,
// unless it is a phone word (Telefonnummer).
var refWords = setOf("order", "orders", "invoice", "ticket", "tracking", "ref", "reference",
	"account", "acct", "isbn", "issn", "serial", "sku", "case", "booking", "confirmation",
	"transaction", "txn", "id", "no", "nr", "number", "version", "build", "patent", "po", "batch",
	"lot", "zip", "postcode", "plz", "meeting", "passcode", "pin", "upc", "ean", "gtin",
	"bestellung", "rechnung", "auftrag", "vorgang", "artikel", "aktenzeichen", "iban", "konto",
	"blz")

// fillers may stand between a reference word and its number.
var fillers = setOf("is", "was", "ist", "lautet", "war")

// phoneWords announce a phone number.
var phoneWords = setOf("phone", "tel", "telephone", "call", "callback", "mobile", "cell", "fax",
	"whatsapp", "sms", "text", "dial", "hotline", "telefon", "telefonnummer", "handynummer",
	"mobilnummer", "rufnummer", "faxnummer", "handy", "mobil", "anrufen", "rufen", "ruf",
	"rückruf", "erreichbar", "unter")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// lastWords returns up to n words (runs of letters, lower-cased) that end
// s, last first, and whether s ends with '#' (after spaces and colons).
func lastWords(s string, n int) (words []string, hash bool) {
	t := strings.TrimRight(s, " \t\u00a0:")
	hash = strings.HasSuffix(t, "#")
	for len(words) < n {
		t = strings.TrimRightFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
		i := strings.LastIndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
		w := t[i+1:]
		if w == "" {
			break
		}
		words = append(words, strings.ToLower(w))
		t = t[:i+1]
	}
	return words, hash
}

// reference reports a number that the words before it call a reference
// ("order #", "Kundennummer:", "invoice number is"), unless a phone word
// stands there too ("phone number is", "Telefonnummer").
func reference(before string) bool {
	words, hash := lastWords(before, 5)
	i := 0
	for i < len(words) && i < 2 && fillers[words[i]] {
		i++
	}
	isRef := hash && i == 0
	if i < len(words) {
		w := words[i]
		isRef = isRef || refWords[w] || strings.HasSuffix(w, "nummer")
	}
	if !isRef {
		return false
	}
	for _, w := range words[i:min(len(words), i+3)] {
		if phoneWords[w] {
			return false
		}
	}
	return true
}

// announced reports a phone word among the last five words before.
func announced(before string) bool {
	words, _ := lastWords(before, 5)
	for _, w := range words {
		if phoneWords[w] {
			return true
		}
	}
	return false
}

func findPhones(d *Detector, sc *scan) []Finding {
	text, taken := sc.text, &sc.taken
	var out []Finding
	for _, m := range matchIn(phoneRE, text, sc.digitSpans()) {
		s, e := m[0], m[1]
		// A trailing separator or an unbalanced parenthesis is not part of
		// the number.
		cand := balanced(text[s:e])
		cand = strings.TrimRight(cand, " \u00a0-./(")
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
	if reference(before) {
		return Finding{}, false
	}
	separated := strings.ContainsAny(cand, " \u00a0-./()")
	if !international && !separated && digits[0] != '0' && !announced(before) {
		// A bare run of digits is an id, a timestamp or an amount far more
		// often than a phone number written without a prefix.
		return Finding{}, false
	}
	if onlyDots(cand) && !international && !dottedPhone(cand) {
		return Finding{}, false // a version or a decimal
	}
	if !international && notPhoneShape(cand) {
		return Finding{}, false
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
		// Where the national format starts with a trunk prefix (0 in
		// Europe and India), people write it: a number without it is
		// not that country's national format.
		if ndd := phonenumbers.GetNddPrefixForRegion(region, true); ndd == "0" && !strings.HasPrefix(digits, ndd) {
			continue
		}
		p, err := phonenumbers.Parse(cand, region)
		if err == nil && phonenumbers.IsValidNumberForRegion(p, region) {
			return Finding{Kind: Phone, Start: s, End: e, Detail: region}, true
		}
	}
	return Finding{}, false
}

// balanced cuts s before a '(' that no ')' closes: "3 850 809 (2023"
// is a number followed by a year in parentheses, not one number.
func balanced(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == '(' && !strings.Contains(s[i:], ")") {
			return s[:i]
		}
	}
	return s
}

// groups returns the lengths of the digit groups of s.
func groups(s string) []int {
	var out []int
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
			continue
		}
		if n > 0 {
			out = append(out, n)
		}
		n = 0
	}
	if n > 0 {
		out = append(out, n)
	}
	return out
}

// notPhoneShape reports national candidates whose grouping says they are
// something else: the SSN's 3-2-4 (an SSN that failed its own rules is
// still not a phone number), thousands grouping 1-3 digits then groups of
// exactly three ("3 850 809"), and short groups of one or two digits
// other than the French and Belgian five pairs (lottery numbers, lists).
func notPhoneShape(cand string) bool {
	g := groups(cand)
	if len(g) == 3 && g[0] == 3 && g[1] == 2 && g[2] == 4 {
		return true
	}
	if len(g) >= 3 && g[0] <= 3 && cand[0] != '0' && cand[0] != '(' {
		thousands := true
		for _, n := range g[1:] {
			thousands = thousands && n == 3
		}
		if thousands {
			return true
		}
	}
	short := true
	for _, n := range g {
		short = short && n <= 2
	}
	return short && !(len(g) == 5 && slices.Equal(g, []int{2, 2, 2, 2, 2}))
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
